"""Fetch checkpoint files into the download cache (``BENCH_CACHE``), through pooch.

What :func:`fetch` guarantees:

- **Atomic.** A file appears under its cache name only once it is complete and, when a
  SHA-256 is pinned, verified: pooch receives it in a temporary file beside it and renames
  it after the hash check, so an interrupted or rejected download never looks finished.
- **Resumable.** The bytes received so far are kept in ``<fname>.part``. The next attempt
  asks for the rest with an HTTP ``Range`` request and appends when the server answers 206;
  it starts over when the server answers 200 (ranges not supported) or 416. The ``.part``
  is gone once the file is complete.
- **Verified.** A pinned SHA-256 is checked after every download and on every cache hit.
  A mismatch is a :class:`~bench.errors.ChecksumError` naming both hashes; a bad download
  leaves nothing in the cache, a bad cached file is left for the user to delete.
- **Not fooled by HTML.** A page served in place of the file (Google Drive quota page,
  Hugging Face login page), recognised by its Content-Type or by its first bytes, is a
  :class:`~bench.errors.DownloadError` and leaves nothing in the cache, ``.part`` included.
- **Keyed by content.** Callers put :func:`content_subdir` into ``subdir``: a folder named
  after what identifies the content (the URL, or repository + revision + file) and the
  SHA-256 pin, so two sources that share a file name never share a cached file.
- **Offline mode** (``BENCH_OFFLINE=1``). A cached file is returned without any network
  access; a missing one is a :class:`~bench.errors.MissingFileError` saying which file to
  place at which path, and the URL it comes from.

Every failure a user can meet (HTTP error, refused connection, timeout, dropped
connection, HTML page, checksum) is a :class:`~bench.errors.BenchError`, never a raw
requests or pooch traceback.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pooch

from bench.assets import OFFLINE_ENV, cache_dir, offline
from bench.errors import ChecksumError, DownloadError, MissingFileError
from bench.zoo.resumable import (  # noqa: F401  (ResumableDownloader and the constants are re-exported)
    CHUNK_BYTES,
    CONNECT_TIMEOUT_S,
    PART_SUFFIX,
    READ_TIMEOUT_S,
    STREAM_CHUNK_BYTES,
    ResumableDownloader,
    _failure_message,
    _sha256_object,
    _size,
)

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def fetch(
    url: str,
    *,
    sha256: str | None,
    subdir: str,
    fname: str | None = None,
    progress: bool = True,
) -> Path:
    """The cached copy of ``url`` at ``cache_dir()/subdir/fname``, downloaded if needed.

    Args:
        sha256: lower-case hex SHA-256 the file must have; None accepts any content
            (and then a cached file is returned as it is).
        subdir: folder inside the cache, relative and without ``..``.
        fname: file name in the cache; defaults to the URL's last path segment.
        progress: draw a progress bar on stderr while downloading.
    """
    expected = _checked_sha256(sha256)
    dest = (cache_dir() / _checked_subdir(subdir)).resolve() / _checked_fname(url, fname)
    if dest.is_file():
        if expected is not None:
            verify_sha256(
                dest, expected, advice=f"Delete {dest} and run again to download it afresh."
            )
        return dest
    if offline():
        raise MissingFileError(_offline_message(url, dest, expected))
    return _download(url, dest, expected, progress)


def content_subdir(kind: str, identity: str, sha256: str | None) -> str:
    """The cache folder ``<kind>/<key>`` of one piece of content.

    ``key`` is the first 20 hex digits of the SHA-256 of ``identity`` (a URL, or
    ``hf://<repository>@<revision>/<file>``) and the pin, so a file cached for one source
    or pin is never handed to another one that merely shares its file name.
    """
    pin = _checked_sha256(sha256) or "unpinned"
    key = hashlib.sha256(f"{identity}\n{pin}".encode()).hexdigest()[:20]
    return f"{_checked_subdir(kind).as_posix()}/{key}"


def sha256_of(path: str | os.PathLike) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    return _sha256_object(path).hexdigest()


def verify_sha256(path: str | os.PathLike, expected: str, *, advice: str = "") -> None:
    """Raise :class:`ChecksumError` unless the file's SHA-256 is ``expected``.

    Args:
        advice: a sentence appended to the error, telling the user what to do.
    """
    actual = sha256_of(path)
    if actual != expected.lower():
        message = f"SHA-256 mismatch for {path}: expected {expected.lower()}, got {actual}."
        raise ChecksumError(f"{message} {advice}".strip())


def _download(url: str, dest: Path, expected: str | None, progress: bool) -> Path:
    """Download through pooch, which renames its temporary file onto ``dest`` after the hash check."""
    downloader = ResumableDownloader(dest, progress=progress)
    known_hash = f"sha256:{expected}" if expected else None
    try:
        with _quiet_pooch():
            # progressbar=False: the downloader draws its own bar; pooch's needs tqdm.
            path = pooch.retrieve(
                url,
                known_hash=known_hash,
                fname=dest.name,
                path=dest.parent,
                progressbar=False,
                downloader=downloader,
            )
    except ValueError:
        if expected is None or downloader.sha256 in (None, expected):
            raise  # not a hash mismatch: a bug, keep the traceback
        raise ChecksumError(
            f"The file downloaded from {url} has SHA-256 {downloader.sha256}, expected {expected}. "
            f"It was discarded; nothing is left at {dest}. The file on the server may have changed, "
            "or the pinned hash is wrong."
        ) from None
    return Path(path)


@contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silence pooch's info log: it advises pinning hashes through pooch.retrieve, not bench."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _checked_sha256(sha256: str | None) -> str | None:
    if sha256 is None:
        return None
    if not _SHA256_RE.match(sha256.lower()):
        raise ValueError(f"sha256 must be 64 hex digits, got {sha256!r}")
    return sha256.lower()


def _checked_subdir(subdir: str) -> Path:
    path = Path(subdir)
    if path.is_absolute() or ".." in path.parts:
        raise DownloadError(f"Cache sub-folder {subdir!r} must be a relative path without '..'.")
    return path


def _checked_fname(url: str, fname: str | None) -> str:
    name = fname if fname is not None else unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if name in ("", ".") or "/" in name or "\\" in name or ".." in name:
        raise DownloadError(
            f"Cannot store the download of {url} as {name!r}: a cache file name must be non-empty and "
            "contain no '/' or '..'. Give the entry an explicit file name."
        )
    return name


def _offline_message(url: str, dest: Path, expected: str | None) -> str:
    pin = f" (SHA-256 {expected})" if expected else ""
    return (
        f"Offline mode ({OFFLINE_ENV}=1) and {dest.name} is not in the cache. Place the file {dest.name}{pin} "
        f"at {dest} — it comes from {url} — or unset {OFFLINE_ENV} to download it."
    )
