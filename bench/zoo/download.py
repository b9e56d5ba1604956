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
import html
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

import pooch
import requests

from bench.assets import OFFLINE_ENV, cache_dir, offline
from bench.errors import ChecksumError, DownloadError, MissingFileError

CHUNK_BYTES = 1 << 20
# A dropped connection loses the chunk being read (urllib3 raises rather than return it), so
# streaming reads are smaller than hashing reads: at most this much is fetched twice on resume.
STREAM_CHUNK_BYTES = 256 * 1024
CONNECT_TIMEOUT_S = 10.0
# Longest silence between two reads of the body, not a limit on the whole download.
READ_TIMEOUT_S = 60.0
PART_SUFFIX = ".part"

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_HTML_PREFIXES = (b"<!doctype html", b"<html")
_HTML_HEAD_BYTES = 64 * 1024
_HTML_QUOTE_CHARS = 100


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
            verify_sha256(dest, expected, advice=f"Delete {dest} and run again to download it afresh.")
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
    key = hashlib.sha256(f"{identity}\n{pin}".encode("utf-8")).hexdigest()[:20]
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


class ResumableDownloader:
    """A pooch downloader that keeps a ``.part`` file between attempts and resumes it.

    Called by pooch as ``downloader(url, output_file, pooch_obj, check_only=False)``: it
    completes ``dest + ".part"`` (with a ``Range`` request when some bytes are already
    there), rejects HTML pages, then moves the part onto pooch's ``output_file``.
    """

    def __init__(self, dest: Path, *, progress: bool = True) -> None:
        self.dest = dest
        self.part = dest.with_name(dest.name + PART_SUFFIX)
        self.progress = progress
        self.timeout = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
        self.sha256: str | None = None  # of the content last handed to pooch

    def __call__(
        self, url: str, output_file: str | IO[bytes], pooch_obj: object = None, check_only: bool = False
    ) -> bool | None:
        if check_only:
            return self._exists(url)
        try:
            with self._open(url) as response:
                self._receive(url, response)
        except requests.RequestException as exc:
            raise DownloadError(_failure_message(url, _describe(exc), self.part)) from exc
        self._reject_html_part(url)
        self._deliver(output_file)
        return None

    def _exists(self, url: str) -> bool:
        try:
            response = requests.head(url, allow_redirects=True, timeout=self.timeout)
        except requests.RequestException as exc:
            raise DownloadError(_failure_message(url, _describe(exc), None)) from exc
        return response.status_code == 200

    def _get(self, url: str, offset: int) -> requests.Response:
        # identity: Range offsets and Content-Length must count the stored bytes, not gzip's.
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        return requests.get(url, headers=headers, stream=True, timeout=self.timeout)

    def _open(self, url: str) -> requests.Response:
        """The response to read from, after any restart, checked for errors and HTML."""
        offset = _size(self.part)
        response = self._get(url, offset)
        if offset and (response.status_code == 416 or _range_start(response) not in (None, offset)):
            # The part does not fit the remote file (it changed, or the part overran it).
            response.close()
            self.part.unlink()
            response = self._get(url, 0)
        if response.status_code not in (200, 206):
            response.close()
            raise DownloadError(f"Download of {url} failed: HTTP {response.status_code} {response.reason}.")
        if _is_html_type(response.headers.get("Content-Type", "")):
            head = next(response.iter_content(_HTML_HEAD_BYTES), b"")
            response.close()
            self.part.unlink(missing_ok=True)
            raise DownloadError(_html_message(url, head, self.dest))
        return response

    def _receive(self, url: str, response: requests.Response) -> None:
        """Append (206) or write afresh (200) the body into the part, hashing it on the way."""
        offset = _size(self.part) if response.status_code == 206 else 0
        if _range_start(response) not in (None, offset):
            raise DownloadError(f"Download of {url} failed: the server sent bytes from an unexpected offset.")
        digest = _sha256_object(self.part) if offset else hashlib.sha256()
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        bar = _progress_bar(self.progress, self.dest.name, total, offset)
        with open(self.part, "ab" if offset else "wb") as out, bar as advance:
            for chunk in response.iter_content(STREAM_CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                advance(len(chunk))
        if total is not None and _size(self.part) != total:
            raise DownloadError(_failure_message(url, f"{_size(self.part)} of {total} bytes received", self.part))
        self.sha256 = digest.hexdigest()

    def _reject_html_part(self, url: str) -> None:
        with open(self.part, "rb") as f:
            head = f.read(_HTML_HEAD_BYTES)
        if _looks_like_html(head):
            self.part.unlink()
            raise DownloadError(_html_message(url, head, self.dest))

    def _deliver(self, output_file: str | IO[bytes]) -> None:
        """Hand the complete part to pooch: a rename when it gives a path (always beside the part)."""
        if isinstance(output_file, (str, os.PathLike)):
            os.replace(self.part, output_file)
            return
        with open(self.part, "rb") as src:
            shutil.copyfileobj(src, output_file, CHUNK_BYTES)
        self.part.unlink()


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


@contextmanager
def _progress_bar(enabled: bool, name: str, total: int | None, done: int) -> Iterator[Callable[[int], None]]:
    """Yield a function that advances a rich progress bar on stderr (a no-op when disabled)."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(name, total=total, completed=done)
        yield lambda n: bar.advance(task, n)


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


def _failure_message(url: str, cause: object, part: Path | None) -> str:
    kept = _size(part) if part is not None else 0
    if kept:
        advice = f" The {kept} bytes received are kept in {part}; run again to resume."
    elif part is not None:
        advice = f" Without network access, fetch it elsewhere and place it at {part.with_name(part.name[:-len(PART_SUFFIX)])}."
    else:
        advice = ""
    return f"Download of {url} failed: {cause}.{advice}"


def _describe(exc: requests.RequestException) -> str:
    """A short cause for the user, instead of urllib3's nested repr."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection dropped before the whole file arrived"
    if isinstance(exc, requests.Timeout) or "timed out" in text:
        return "the server stopped answering (timed out)"
    os_error = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if isinstance(exc, requests.ConnectionError) and os_error:
        return f"could not connect ({os_error.group(1).strip()})"
    return text


def _html_message(url: str, head: bytes, dest: Path) -> str:
    return (
        f"The server returned an HTML page instead of the file from {url}: {_html_summary(head)!r}. "
        "This is usually a quota, login or error page. Check the URL, or download the file in a browser "
        f"and place it at {dest}."
    )


def _html_summary(head: bytes) -> str:
    """The page's <title>, else its first characters with tags, scripts and styles removed."""
    text = head.decode("utf-8", errors="replace")
    title = re.search(r"<title[^>]*>(.*?)</title", text, flags=re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    else:
        text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.IGNORECASE | re.DOTALL)
        text = re.sub(r"<[^>]*>", " ", text)
    return " ".join(html.unescape(text).split())[:_HTML_QUOTE_CHARS]


def _is_html_type(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "text/html"


def _looks_like_html(head: bytes) -> bool:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().lower().startswith(_HTML_PREFIXES)


def _range_start(response: requests.Response) -> int | None:
    """Where a 206 response's bytes start in the file; None for other statuses, -1 if unreadable."""
    if response.status_code != 206:
        return None
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else -1


def _size(path: Path | None) -> int:
    return path.stat().st_size if path is not None and path.exists() else 0


def _sha256_object(path: str | os.PathLike) -> hashlib._Hash:
    """A running SHA-256 already fed with the file's bytes, to continue over appended ones."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest
