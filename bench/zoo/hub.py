"""Files from the Hugging Face Hub, through ``huggingface_hub.hf_hub_download`` at a pinned commit.

What :func:`hub_file` adds to ``hf_hub_download``:

- **Pinned.** The caller gives the commit ``revision``; a branch name is refused by the
  registry schema, so what a file name means cannot change under an entry.
- **The Hub's own cache**, kept under bench's cache (``$BENCH_CACHE/huggingface``, the
  ``models--<owner>--<name>/blobs`` + ``snapshots/<commit>/`` layout), shared by every entry
  of a repository; ``hf_hub_download`` writes a blob under a temporary name and renames it
  when complete, and resumes a dropped connection with a ``Range`` request.
- **Mirrors.** ``HF_ENDPOINT`` (or bench's older ``BENCH_HF_ENDPOINT``) names another Hub.
- **Verified.** A pinned SHA-256 is checked after every download and on every use. A Hub
  blob is named after its ETag, which for a Git LFS file is the SHA-256 of its content; an
  unpinned file is checked against that name after it is downloaded.
- **Offline** (``BENCH_OFFLINE=1``): no request at all; a missing file is a
  :class:`~bench.errors.MissingFileError` naming where to place it and its URL.

Every failure a user can meet is a :class:`~bench.errors.BenchError`, never a raw
huggingface_hub or httpx traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from bench.assets import OFFLINE_ENV, cache_dir, offline
from bench.errors import ChecksumError, DownloadError, MissingFileError

ENDPOINT_ENVS = ("BENCH_HF_ENDPOINT", "HF_ENDPOINT")
DEFAULT_ENDPOINT = "https://huggingface.co"
CACHE_SUBDIR = "huggingface"
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def hub_endpoint() -> str:
    """The Hub to download from: ``BENCH_HF_ENDPOINT``, else ``HF_ENDPOINT``, else huggingface.co."""
    for name in ENDPOINT_ENVS:
        if os.environ.get(name):
            return os.environ[name].rstrip("/")
    return DEFAULT_ENDPOINT


def hub_cache() -> Path:
    """The Hub cache folder inside bench's cache."""
    return cache_dir() / CACHE_SUBDIR


def snapshot_path(repository: str, revision: str, filename: str) -> Path:
    """Where ``hf_hub_download`` puts ``filename`` of ``repository`` at ``revision`` in :func:`hub_cache`."""
    return (
        hub_cache() / f"models--{repository.replace('/', '--')}" / "snapshots" / revision / filename
    )


def resolve_url(repository: str, revision: str, filename: str) -> str:
    """The Hub's download URL of a file at a commit."""
    return f"{hub_endpoint()}/{repository}/resolve/{revision}/{filename}"


def hub_file(repository: str, filename: str, *, revision: str, sha256: str | None) -> Path:
    """The cached path of ``filename`` from ``repository`` at commit ``revision``, downloaded if needed."""
    dest = snapshot_path(repository, revision, filename)
    if offline() and not dest.is_file():
        pin = f" (SHA-256 {sha256})" if sha256 else ""
        raise MissingFileError(
            f"Offline mode ({OFFLINE_ENV}=1) and {filename} is not in the cache. Place the file {filename}{pin} "
            f"at {dest} — it comes from {resolve_url(repository, revision, filename)} — or unset {OFFLINE_ENV} "
            "to download it."
        )
    cached = dest.is_file()
    path = dest if cached and offline() else _download(repository, filename, revision)
    _verify(path, sha256, fresh=not cached)
    return path


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP client's errors (huggingface_hub 2 uses httpx2, 1.x httpx) and OSError."""
    try:
        import httpx2 as httpx
    except ImportError:
        import httpx
    return (httpx.HTTPError, OSError)


def _download(repository: str, filename: str, revision: str) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
    )

    url = resolve_url(repository, revision, filename)
    try:
        return Path(
            hf_hub_download(
                repository,
                filename,
                revision=revision,
                cache_dir=hub_cache(),
                endpoint=hub_endpoint(),
            )
        )
    except LocalEntryNotFoundError:  # a subclass of EntryNotFoundError: first
        raise DownloadError(
            f"Download of {url} failed: the Hub at {hub_endpoint()} could not be reached "
            "(or did not answer like a Hub). Without network access, fetch the file elsewhere "
            "and place it at "
            f"{snapshot_path(repository, revision, filename)}, or set HF_ENDPOINT to a mirror."
        ) from None
    except EntryNotFoundError:
        raise DownloadError(
            f"The Hub has no file {filename} in {repository} at {revision} ({url})."
        ) from None
    except HfHubHTTPError as exc:
        raise DownloadError(f"Download of {url} failed: {_first_line(exc)}.") from None
    except _transport_errors() as exc:
        raise DownloadError(f"Download of {url} failed: {_first_line(exc)}.") from None


def _verify(path: Path, sha256: str | None, *, fresh: bool) -> None:
    """Check the pin (always) or, for a fresh download, the Hub's LFS SHA-256 (the blob's name)."""
    from bench.zoo.download import sha256_of

    blob = path.resolve()
    expected = sha256 or (blob.name if fresh and _SHA256_RE.match(blob.name) else None)
    if expected is None:
        return
    actual = sha256_of(blob)
    if actual == expected:
        return
    what = "pinned" if sha256 else "published by the Hub for it"
    if fresh:
        _discard(path, blob)
        raise ChecksumError(
            f"The file downloaded to {path} has SHA-256 {actual}, not the {expected} {what}. "
            "It was discarded; the file on the server differs from the pin, or the pin is wrong."
        )
    raise ChecksumError(
        f"SHA-256 mismatch for {path}: expected {expected}, got {actual}. "
        f"Delete {blob} and run again to download it afresh."
    )


def _discard(link: Path, blob: Path) -> None:
    """Remove a rejected download (the snapshot link and its blob) that bench just fetched."""
    for p in (link, blob):
        if p.is_symlink() or p.is_file():
            p.unlink()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
