"""Load a pickled list of numpy arrays without letting the pickle run code.

Paper 001's (Boopathy et al., ICML 2020) pretrained networks ship as Python pickles of
``[(W, b), ..., (W_last,)]`` (ASSETS.md, "proper-interpretability/"). A pickle names the
globals it calls; :class:`NumpyOnlyUnpickler` resolves only the few that rebuild numpy
arrays and refuses everything else (``builtins.eval``, ``os.system``, ...) *before* it is
called, so a malicious file fails without side effects.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from bench.errors import MissingFileError, SpecError, UnsafeCheckpointError

try:  # numpy >= 2 (and the 1.26 forward-compatibility alias)
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - numpy < 1.26
    from numpy.core import multiarray as _multiarray

# The pickles were written with numpy 1.x, which names ``numpy.core.multiarray``; numpy 2
# pickles name ``numpy._core.multiarray``. Both map to the real functions, looked up here
# so that unpickling never imports a module the file names.
_ARRAY_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ARRAY_GLOBALS[(_module, "_reconstruct")] = _multiarray._reconstruct
    # A numpy scalar (dtype + raw bytes): the MNIST ``pool`` files store their max-pool
    # placeholder as ``(nan 2x2 array, nan float32 scalar)``.
    _ARRAY_GLOBALS[(_module, "scalar")] = _multiarray.scalar

_NUMERIC_KINDS = "fiub"  # float, signed, unsigned, bool: never object ('O') arrays


class NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler whose only reachable globals rebuild numpy arrays and scalars."""

    def __init__(self, file: Any, source: str):
        super().__init__(file, encoding="latin1")  # py2-era pickles carry latin-1 byte strings
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        """Resolve only the numpy array/scalar globals; refuse anything else before it is called."""
        try:
            return _ARRAY_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafeCheckpointError(
                f"Refused to load {self._source}: the pickle asks for the global "
                f"{module}.{name}, but only numpy array reconstruction is admitted "
                f"({', '.join(sorted(f'{m}.{n}' for m, n in _ARRAY_GLOBALS))})."
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        """Refuse every persistent id: a plain array pickle never uses one."""
        raise UnsafeCheckpointError(
            f"Refused to load {self._source}: it uses persistent ids ({pid!r})."
        )


def _as_array(item: Any, where: str, source: str) -> np.ndarray:
    """One numeric array (a numpy scalar becomes a 0-d array); anything else is a SpecError."""
    if isinstance(item, np.generic):
        item = np.asarray(item)
    if not isinstance(item, np.ndarray):
        raise SpecError(f"{source}: {where} is a {type(item).__name__}, expected a numpy array.")
    if item.dtype.kind not in _NUMERIC_KINDS:
        raise SpecError(f"{source}: {where} has dtype {item.dtype}, expected a numeric array.")
    return item


def validate_layer_list(obj: Any, source: str) -> list[tuple[np.ndarray, ...]]:
    """Check ``obj`` is a list of tuples/lists of numeric numpy arrays; return it as tuples."""
    if not isinstance(obj, list):
        raise SpecError(
            f"{source}: expected a list of (W, b) tuples, found a {type(obj).__name__}."
        )
    layers = []
    for i, entry in enumerate(obj):
        if not isinstance(entry, (tuple, list)) or not entry:
            raise SpecError(
                f"{source}: entry {i} is a {type(entry).__name__}, expected a non-empty tuple of arrays."
            )
        layers.append(
            tuple(_as_array(a, f"entry {i} item {j}", source) for j, a in enumerate(entry))
        )
    return layers


def load_numpy_pickle(path: str | os.PathLike) -> list[tuple[np.ndarray, ...]]:
    """Load ``[(W, b), ..., (W_last,)]`` from a pickle, admitting only numpy reconstruction.

    Raises :class:`UnsafeCheckpointError` when the file asks for any other global (nothing it
    names is called), :class:`SpecError` when it is not a pickle of a list of array tuples.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"No such checkpoint: {path}.")
    with path.open("rb") as fh:
        try:
            obj = NumpyOnlyUnpickler(fh, str(path)).load()
        except UnsafeCheckpointError:
            raise
        except Exception as exc:  # truncated or garbled: pickle raises many kinds
            raise SpecError(
                f"{path} is not a readable pickle ({type(exc).__name__}: {exc})."
            ) from None
    return validate_layer_list(obj, str(path))
