"""A loaded model's measured clean accuracy against the figure its authors report.

Only a measurement on the *whole* validation set is comparable with a published figure (a
subset differs by sampling alone), so the check runs only then. A gap larger than
``REPORTED_TOLERANCE`` usually means the weights or the preprocessing are not what the
authors used (a wrong checkpoint, another crop, a missing normalization).
"""

from __future__ import annotations

import warnings

from bench.errors import BenchError
from bench.zoo.schema import ModelEntry

# Published figures are rounded to 0.01 %; preprocessing libraries differ by a few tenths.
REPORTED_TOLERANCE = 0.01


class ReportedAccuracyWarning(UserWarning):
    """A full-set clean accuracy that differs from the authors' figure by more than the tolerance."""


class ReportedAccuracyError(BenchError):
    """As :class:`ReportedAccuracyWarning`, raised when the caller asks for strictness."""


def reported_accuracy_gap(
    entry: ModelEntry,
    measured: float,
    n_evaluated: int,
    set_size: int,
    tolerance: float = REPORTED_TOLERANCE,
) -> str | None:
    """A sentence naming both numbers when they disagree, else None.

    None also when there is nothing to compare: no reported figure, or ``n_evaluated`` is
    not the whole set of ``set_size`` images.
    """
    reported = entry.reported.get("clean_accuracy")
    if reported is None or n_evaluated != set_size or abs(measured - reported) <= tolerance:
        return None
    return (
        f"{entry.id}: clean accuracy on the full {entry.dataset} validation set ({set_size} images) is "
        f"{measured:.4f}, but its authors report {reported:.4f} (a gap of {abs(measured - reported):.4f}, more "
        f"than {tolerance:g}). The checkpoint or its preprocessing (transform "
        f"{entry.preprocessing.transform or 'none'}, normalization inside the model) may not be the authors'."
    )


def check_reported_accuracy(
    entry: ModelEntry,
    measured: float,
    n_evaluated: int,
    set_size: int,
    *,
    strict: bool = False,
    tolerance: float = REPORTED_TOLERANCE,
) -> None:
    """Warn (or with ``strict`` raise :class:`ReportedAccuracyError`) on a gap from the reported figure."""
    message = reported_accuracy_gap(entry, measured, n_evaluated, set_size, tolerance)
    if message is None:
        return
    if strict:
        raise ReportedAccuracyError(message)
    warnings.warn(message, ReportedAccuracyWarning, stacklevel=2)
