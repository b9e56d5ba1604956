"""Where the shared assets (real data, pretrained weights) and the download cache live.

The assets folder is never part of the project: it is found through ``--assets DIR``,
the ``BENCH_ASSETS`` environment variable, or a ``shared/`` folder beside the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from bench.errors import MissingFileError, SpecError

ASSETS_ENV = "BENCH_ASSETS"
CACHE_ENV = "BENCH_CACHE"
OFFLINE_ENV = "BENCH_OFFLINE"

_override: Path | None = None


def set_assets_dir(path: str | os.PathLike | None) -> None:
    """Set the assets folder for this process (the CLI's ``--assets``)."""
    global _override
    _override = Path(path).expanduser().resolve() if path else None


def assets_dir() -> Path | None:
    """The assets folder in force, or None when none is configured or found."""
    if _override is not None:
        return _override
    env = os.environ.get(ASSETS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    beside_checkout = Path(__file__).resolve().parents[2] / "shared"
    return beside_checkout if (beside_checkout / "ASSETS.md").is_file() else None


def asset_path(relative: str) -> Path:
    """The path of an asset file, or a clear error saying where it should be.

    ``relative`` must stay inside the assets folder: an absolute path, a ``..`` segment, or
    a link that resolves outside the folder is refused.
    """
    root = assets_dir()
    if root is None:
        raise MissingFileError(
            f"This needs the shared asset {relative!r}, but no assets folder is configured. "
            f"Pass --assets DIR or set {ASSETS_ENV}=DIR (the folder that holds data/ and models/)."
        )
    path = confined(root, relative, what="asset")
    if not path.exists():
        raise MissingFileError(
            f"Asset {relative!r} is not in the assets folder: place it at {path}."
        )
    return path


def confined(root: Path, relative: str, *, what: str) -> Path:
    """``root / relative``, refused unless it stays inside ``root`` (lexically and once resolved)."""
    rel = PurePosixPath(relative.replace("\\", "/"))
    if not relative or rel.is_absolute() or ".." in rel.parts or "\0" in relative:
        raise SpecError(
            f"The {what} path {relative!r} must be relative to its folder, without '..'."
        )
    path = Path(root) / rel
    resolved, base = path.resolve(), Path(root).resolve()
    if resolved != base and base not in resolved.parents:
        raise SpecError(
            f"The {what} path {relative!r} leads outside its folder {base} (to {resolved})."
        )
    return path


def cache_dir() -> Path:
    """The download cache (``BENCH_CACHE``, else ``~/.cache/bench``)."""
    env = os.environ.get(CACHE_ENV)
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "bench"
    root.mkdir(parents=True, exist_ok=True)
    return root


def offline() -> bool:
    """True when downloads are forbidden (``BENCH_OFFLINE=1``)."""
    return os.environ.get(OFFLINE_ENV, "").lower() in {"1", "true", "yes"}
