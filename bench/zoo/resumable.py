"""Resumable HTTP downloads for pooch: a ``.part`` file kept between attempts, HTML pages refused.

:class:`ResumableDownloader` is the downloader :func:`bench.zoo.download.fetch` hands to pooch;
see that module for the guarantees (atomic, resumable, verified, not fooled by HTML).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import requests

from bench.errors import DownloadError

CHUNK_BYTES = 1 << 20
# A dropped connection loses the chunk being read (urllib3 raises rather than return it), so
# streaming reads are smaller than hashing reads: at most this much is fetched twice on resume.
STREAM_CHUNK_BYTES = 256 * 1024
CONNECT_TIMEOUT_S = 10.0
# Longest silence between two reads of the body, not a limit on the whole download.
READ_TIMEOUT_S = 60.0
PART_SUFFIX = ".part"

_HTML_PREFIXES = (b"<!doctype html", b"<html")
_HTML_HEAD_BYTES = 64 * 1024
_HTML_QUOTE_CHARS = 100


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
        self,
        url: str,
        output_file: str | IO[bytes],
        pooch_obj: object = None,
        check_only: bool = False,
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
            raise DownloadError(
                f"Download of {url} failed: HTTP {response.status_code} {response.reason}."
            )
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
            raise DownloadError(
                f"Download of {url} failed: the server sent bytes from an unexpected offset."
            )
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
            raise DownloadError(
                _failure_message(url, f"{_size(self.part)} of {total} bytes received", self.part)
            )
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


@contextmanager
def _progress_bar(
    enabled: bool, name: str, total: int | None, done: int
) -> Iterator[Callable[[int], None]]:
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


def _failure_message(url: str, cause: object, part: Path | None) -> str:
    kept = _size(part) if part is not None else 0
    if kept:
        advice = f" The {kept} bytes received are kept in {part}; run again to resume."
    elif part is not None:
        advice = f" Without network access, fetch it elsewhere and place it at {part.with_name(part.name[: -len(PART_SUFFIX)])}."
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
