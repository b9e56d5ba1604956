"""RobustBench zoo entries through robustbench's own ``load_model``, made safe for bench's users.

Around robustbench's call:

- every ``torch.load`` is weights-only (``TORCH_FORCE_WEIGHTS_ONLY_LOAD=1``);
- its prints ("Downloading ...", "Download started: ...") go to stderr, so bench's stdout holds
  only bench's own output and ``--json`` stays valid JSON;
- a download that cannot happen (no network, Google Drive or the Hub refusing) is one
  :class:`~bench.errors.DownloadError` paragraph naming the file to place, not gdown's
  traceback, and a partial file it left at the checkpoint's path is removed;
- with ``BENCH_OFFLINE=1`` a missing checkpoint fails before robustbench is called.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

from torch import nn

from bench import assets
from bench.errors import DownloadError, MissingFileError, SpecError
from bench.zoo.checkpoint import load_error
from bench.zoo.schema import ModelEntry

_CAUSE_CHARS = 200


def robustbench_files(name: str, dataset: str, threat_model: str, model_dir: Path) -> list[Path]:
    """Where robustbench's ``load_model`` keeps the checkpoint file(s) of a zoo entry."""
    from bench.compat import import_robustbench

    import_robustbench()
    from robustbench.model_zoo import model_dicts
    from robustbench.model_zoo.enums import BenchmarkDataset, ThreatModel

    models = model_dicts[BenchmarkDataset(dataset)][ThreatModel(threat_model)]
    if name not in models:
        from bench.registry import suggest

        raise SpecError(
            f"robustbench has no {dataset}/{threat_model} model {name!r}.{suggest(name, list(models))}"
        )
    base = model_dir / dataset / threat_model / f"{name}.pt"
    gdrive = models[name].get("gdrive_id")
    if isinstance(gdrive, list):
        return [Path(f"{base}_m{i}.pt") for i in range(len(gdrive))]
    return [base]


def load_robustbench_model(entry: ModelEntry) -> nn.Module:
    """The network of a ``robustbench`` entry, downloaded by robustbench into ``$BENCH_CACHE/robustbench``."""
    from bench.compat import import_robustbench

    src = entry.source
    model_dir = assets.cache_dir() / "robustbench"
    missing = [
        p
        for p in robustbench_files(src.name, src.dataset, src.threat_model, model_dir)
        if not p.is_file()
    ]
    if missing and assets.offline():
        raise MissingFileError(
            f"{entry.id!r} is not in the cache and downloads are off ({assets.OFFLINE_ENV}). "
            f"Place the RobustBench checkpoint at {missing[0]}."
        )
    import_robustbench()
    from robustbench.utils import load_model as rb_load_model

    with forced_weights_only(), contextlib.redirect_stdout(sys.stderr):
        try:
            return rb_load_model(
                src.name,
                model_dir=str(model_dir),
                dataset=src.dataset,
                threat_model=src.threat_model,
            )
        except (pickle.UnpicklingError, EOFError) as exc:
            raise load_error(
                f"the RobustBench checkpoint of {entry.id!r} under {model_dir}", exc
            ) from None
        except download_errors() as exc:
            _remove_partial(missing)
            raise DownloadError(_download_message(entry, missing, exc)) from None


def download_errors() -> tuple[type[BaseException], ...]:
    """What robustbench's downloads raise when they cannot happen (requests/gdown, the Hub for timm)."""
    import requests

    errors: list[type[BaseException]] = [
        requests.RequestException,
        ConnectionError,
        TimeoutError,
    ]
    with contextlib.suppress(ImportError):
        from gdown.exceptions import FileURLRetrievalError

        errors.append(FileURLRetrievalError)
    with contextlib.suppress(ImportError):
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        errors += [HfHubHTTPError, LocalEntryNotFoundError]
    with contextlib.suppress(ImportError):
        import httpx2

        errors.append(httpx2.HTTPError)
    return tuple(errors)


def _download_message(entry: ModelEntry, missing: list[Path], exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    cause = (lines[-1] if lines else type(exc).__name__)[:_CAUSE_CHARS]
    where = (
        f"Place the checkpoint at {missing[0]}"
        if missing
        else "Its checkpoint is in the cache, but robustbench still had to download (timm weights)"
    )
    return (
        f"Could not download the RobustBench checkpoint of {entry.id!r}: {cause}. "
        f"{where}, or run again with network access (BENCH_OFFLINE=1 fails at once instead of trying)."
    )


def _remove_partial(missing: list[Path]) -> None:
    """Files that did not exist before the failed download are partial: remove them (bench's cache)."""
    for path in missing:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def forced_weights_only() -> Iterator[None]:
    """Make every ``torch.load`` inside (robustbench's own) weights-only, whatever it passes.

    A user's ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is lifted meanwhile: torch refuses to load
    at all when both are set.
    """
    saved = {
        key: os.environ.pop(key, None)
        for key in ("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    }
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
