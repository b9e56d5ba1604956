"""bench.zoo.download against a local HTTP server on 127.0.0.1 whose every answer the test chooses."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.errors import ChecksumError, DownloadError, MissingFileError
from bench.zoo import download, resumable
from bench.zoo.download import ResumableDownloader, fetch, sha256_of, verify_sha256

BODY = bytes(range(256)) * 4096  # 1 MiB of checkpoint-like bytes: several streaming chunks
BODY_SHA = hashlib.sha256(BODY).hexdigest()
SUBDIR = "models"


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = BODY
    content_type: str = "application/octet-stream"
    status: int = 200
    ranges: bool = True  # answer "Range: bytes=N-" with 206
    drop_first: bool = False  # first answer announces the whole length, sends half, closes
    on_half: Callable[[], None] | None = None  # called after half the body is sent
    stall: threading.Event | None = None  # after half the body, wait for this event (bounded)
    served: int = 0


@dataclass
class Server:
    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range)

    def url(self, path: str, route: Route | None = None) -> str:
        self.routes[path] = route or Route()
        return self.base_url + path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def _answer(self, head: bool) -> None:
        state: Server = self.server.state
        range_header = self.headers.get("Range")
        state.seen.append((self.command, self.path, range_header))
        route = state.routes.get(self.path)
        if route is None or route.status != 200:
            status = 404 if route is None else route.status
            return self._send_simple(status, b"error", head)
        start = _range_start(range_header) if route.ranges else 0
        if start >= len(route.body) and start > 0:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(route.body)}")
            return self._end_empty()
        self._send_body(route, start, head)

    def _send_body(self, route: Route, start: int, head: bool) -> None:
        body = route.body[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header(
                "Content-Range", f"bytes {start}-{len(route.body) - 1}/{len(route.body)}"
            )
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        route.served += 1
        half = len(body) // 2
        self.wfile.write(body[:half])
        self.wfile.flush()
        if route.drop_first and route.served == 1:
            self.close_connection = True
            return
        if route.on_half is not None:
            route.on_half()
        if route.stall is not None:
            route.stall.wait(timeout=5)
            self.close_connection = True
            return
        self.wfile.write(body[half:])

    def _send_simple(self, status: int, body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _end_empty(self) -> None:
        self.send_header("Content-Length", "0")
        self.end_headers()


def _range_start(header: str | None) -> int:
    match = re.fullmatch(r"bytes=(\d+)-", header or "")
    return int(match.group(1)) if match else 0


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.state = Server(base_url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield httpd.state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("BENCH_OFFLINE", raising=False)
    # Bounded requests: nothing in these tests should wait long for the local server.
    monkeypatch.setattr(resumable, "CONNECT_TIMEOUT_S", 2.0)
    monkeypatch.setattr(resumable, "READ_TIMEOUT_S", 2.0)
    return tmp_path


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _gets(server: Server) -> list[tuple[str, str | None]]:
    return [(path, rng) for method, path, rng in server.seen if method == "GET"]


# --- full downloads -----------------------------------------------------------------------------


def test_downloads_verifies_and_stores_under_subdir(server: Server, cache: Path) -> None:
    path = fetch(server.url("/w/model.pt"), sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    assert path == (cache / SUBDIR / "model.pt").resolve()
    assert path.read_bytes() == BODY
    assert _files(cache) == ["models/model.pt"]  # no .part, no pooch temporary left
    assert _gets(server) == [("/w/model.pt", None)]


def test_explicit_fname_and_unpinned_download(server: Server, cache: Path) -> None:
    path = fetch(
        server.url("/w/model.pt"), sha256=None, subdir="a/b", fname="renamed.bin", progress=False
    )
    assert path == (cache / "a" / "b" / "renamed.bin").resolve()
    assert path.read_bytes() == BODY


def test_progress_bar_path_downloads_the_same_bytes(server: Server) -> None:
    path = fetch(server.url("/model.pt"), sha256=BODY_SHA, subdir=SUBDIR, progress=True)
    assert path.read_bytes() == BODY


@pytest.mark.parametrize(
    ("path", "fname"),
    [
        ("/model.pt", "../escape.pt"),
        ("/model.pt", "a/b.pt"),
        ("/model.pt", ".."),
        ("/dir/", None),
        ("/x%2F..%2Fy", None),
    ],
)
def test_unsafe_or_empty_file_names_are_refused(
    server: Server, cache: Path, path: str, fname: str | None
) -> None:
    with pytest.raises(DownloadError, match="file name"):
        fetch(server.url(path), sha256=None, subdir=SUBDIR, fname=fname, progress=False)
    assert server.seen == []
    assert _files(cache) == []


def test_subdir_cannot_leave_the_cache(server: Server) -> None:
    with pytest.raises(DownloadError, match="relative path"):
        fetch(server.url("/model.pt"), sha256=None, subdir="../outside", progress=False)
    assert server.seen == []


def test_final_name_never_exists_while_bytes_arrive(server: Server, cache: Path) -> None:
    body = (
        bytes(range(256)) * 12_000
    )  # 3 MiB: the client writes chunks before the second half is sent
    dest = cache / SUBDIR / "big.pt"
    part = cache / SUBDIR / "big.pt.part"
    observed: list[tuple[int, bool]] = []

    def look() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (
            not part.exists() or part.stat().st_size < download.STREAM_CHUNK_BYTES
        ):
            time.sleep(0.01)
        observed.append((part.stat().st_size if part.exists() else 0, dest.exists()))

    url = server.url("/big.pt", Route(body=body, on_half=look))
    fetch(url, sha256=hashlib.sha256(body).hexdigest(), subdir=SUBDIR, progress=False)
    assert len(observed) == 1
    bytes_on_disk, final_existed = observed[0]
    assert bytes_on_disk >= download.STREAM_CHUNK_BYTES
    assert not final_existed
    assert dest.read_bytes() == body


# --- resuming -------------------------------------------------------------------------------------


def test_dropped_connection_keeps_part_and_resumes_with_range(server: Server, cache: Path) -> None:
    url = server.url("/model.pt", Route(drop_first=True))
    with pytest.raises(DownloadError, match="run again to resume"):
        fetch(url, sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    assert _files(cache) == ["models/model.pt.part"]
    kept = (cache / SUBDIR / "model.pt.part").read_bytes()
    # The server sent half; the client keeps whole chunks of it (the chunk in flight is lost).
    assert download.STREAM_CHUNK_BYTES <= len(kept) <= len(BODY) // 2
    assert kept == BODY[: len(kept)]

    path = fetch(url, sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    assert _gets(server) == [("/model.pt", None), ("/model.pt", f"bytes={len(kept)}-")]
    assert path.read_bytes() == BODY
    assert _files(cache) == ["models/model.pt"]


def test_server_ignoring_range_restarts_from_zero(server: Server, cache: Path) -> None:
    (cache / SUBDIR).mkdir()
    (cache / SUBDIR / "model.pt.part").write_bytes(b"stale bytes from another attempt")
    url = server.url("/model.pt", Route(ranges=False))
    path = fetch(url, sha256=None, subdir=SUBDIR, progress=False)
    assert _gets(server) == [("/model.pt", "bytes=32-")]
    assert path.read_bytes() == BODY  # written afresh, not appended to the stale part
    assert _files(cache) == ["models/model.pt"]


def test_part_longer_than_the_file_is_discarded_on_416(server: Server, cache: Path) -> None:
    (cache / SUBDIR).mkdir()
    (cache / SUBDIR / "model.pt.part").write_bytes(b"x" * (len(BODY) + 10))
    path = fetch(server.url("/model.pt"), sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    assert _gets(server) == [("/model.pt", f"bytes={len(BODY) + 10}-"), ("/model.pt", None)]
    assert path.read_bytes() == BODY


def test_stalled_server_times_out_into_download_error(
    server: Server, cache: Path, monkeypatch
) -> None:
    monkeypatch.setattr(resumable, "READ_TIMEOUT_S", 0.3)
    release = threading.Event()
    url = server.url("/model.pt", Route(stall=release))
    try:
        with pytest.raises(DownloadError, match="timed out"):
            fetch(url, sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    finally:
        release.set()
    assert _files(cache) == ["models/model.pt.part"]


# --- bad content --------------------------------------------------------------------------------


def test_checksum_mismatch_after_download_leaves_nothing(server: Server, cache: Path) -> None:
    corrupted = BODY[:-1] + b"\x00"
    url = server.url("/model.pt", Route(body=corrupted))
    with pytest.raises(ChecksumError) as err:
        fetch(url, sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    assert BODY_SHA in str(err.value)
    assert hashlib.sha256(corrupted).hexdigest() in str(err.value)
    assert _files(cache) == []


GDRIVE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head>"
    b"<body><p>Too many users have viewed or downloaded this file recently.</p></body></html>"
)


@pytest.mark.parametrize("stale_part", [False, True])
def test_html_content_type_is_refused_and_nothing_kept(
    server: Server, cache: Path, stale_part: bool
) -> None:
    if stale_part:
        (cache / SUBDIR).mkdir()
        (cache / SUBDIR / "model.pt.part").write_bytes(b"\x80\x02 half a pickle")
    url = server.url("/model.pt", Route(body=GDRIVE_PAGE, content_type="text/html; charset=utf-8"))
    with pytest.raises(DownloadError, match="HTML page instead of the file") as err:
        fetch(url, sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    assert "'Google Drive - Quota exceeded'" in str(err.value)  # the title alone is quoted
    assert _files(cache) == []


@pytest.mark.parametrize(
    "page",
    [
        b"\n  <!doctype HTML>\n<body><script>var x = 1;</script><h1>Sign in</h1> to continue</body>",
        b"\xef\xbb\xbf<HTML><body><h1>Sign in</h1> to continue</body></HTML>",
    ],
)
def test_html_served_as_octet_stream_is_sniffed(server: Server, cache: Path, page: bytes) -> None:
    url = server.url("/model.pt", Route(body=page))
    with pytest.raises(DownloadError, match="HTML page instead of the file") as err:
        fetch(url, sha256=None, subdir=SUBDIR, progress=False)
    assert "Sign in to continue" in str(err.value)
    assert "var x" not in str(err.value)
    assert _files(cache) == []


def test_binary_that_mentions_html_later_is_accepted(server: Server) -> None:
    body = b"\x80\x02}q\x00<html> inside a pickle is just bytes"
    path = fetch(
        server.url("/model.pt", Route(body=body)), sha256=None, subdir=SUBDIR, progress=False
    )
    assert path.read_bytes() == body


# --- HTTP and connection errors -----------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500])
def test_http_error_status_is_a_download_error(server: Server, cache: Path, status: int) -> None:
    url = server.url("/model.pt", Route(status=status))
    with pytest.raises(DownloadError) as err:
        fetch(url, sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    assert url in str(err.value)
    assert f"HTTP {status}" in str(err.value)
    assert _files(cache) == []


def test_connection_refused_is_a_download_error(cache: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/model.pt"
    with pytest.raises(DownloadError, match=re.escape(url) + ".*could not connect"):
        fetch(url, sha256=BODY_SHA, subdir=SUBDIR, progress=False)
    assert _files(cache) == []


# --- cache hits and offline mode ---------------------------------------------------------------


def _place(cache: Path, content: bytes) -> Path:
    path = cache / SUBDIR / "model.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_cached_file_with_matching_hash_needs_no_request(server: Server, cache: Path) -> None:
    placed = _place(cache, BODY)
    assert fetch(server.url("/model.pt"), sha256=BODY_SHA, subdir=SUBDIR) == placed.resolve()
    assert server.seen == []


def test_cached_file_with_wrong_hash_says_delete_it(server: Server, cache: Path) -> None:
    placed = _place(cache, b"not the checkpoint")
    with pytest.raises(ChecksumError) as err:
        fetch(server.url("/model.pt"), sha256=BODY_SHA, subdir=SUBDIR)
    message = str(err.value)
    assert BODY_SHA in message and hashlib.sha256(b"not the checkpoint").hexdigest() in message
    assert str(placed.resolve()) in message and "Delete" in message
    assert placed.exists()  # the user decides
    assert server.seen == []


def test_offline_returns_cached_file_without_request(
    server: Server, cache: Path, monkeypatch
) -> None:
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    placed = _place(cache, b"unpinned cached bytes")
    assert fetch(server.url("/model.pt"), sha256=None, subdir=SUBDIR) == placed.resolve()
    assert server.seen == []


def test_offline_missing_file_says_what_to_place_where(
    server: Server, cache: Path, monkeypatch
) -> None:
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    url = server.url("/model.pt")
    with pytest.raises(MissingFileError) as err:
        fetch(url, sha256=BODY_SHA, subdir=SUBDIR)
    message = str(err.value)
    assert "model.pt" in message
    assert str((cache / SUBDIR / "model.pt").resolve()) in message
    assert url in message
    assert server.seen == []
    assert _files(cache) == []


# --- hashing helpers and the downloader's own contract ------------------------------------------


def test_sha256_of_matches_hashlib_across_chunks(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10_000  # 2.4 MiB: three 1 MiB reads
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()


def test_verify_sha256_passes_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"abc")
    verify_sha256(path, hashlib.sha256(b"abc").hexdigest().upper())
    with pytest.raises(ChecksumError, match=hashlib.sha256(b"abc").hexdigest()):
        verify_sha256(path, "0" * 64)


def test_malformed_pin_is_rejected(server: Server) -> None:
    with pytest.raises(ValueError, match="64 hex digits"):
        fetch(server.url("/model.pt"), sha256="md5:abc", subdir=SUBDIR)
    assert server.seen == []


def test_downloader_check_only_asks_with_head(server: Server, cache: Path) -> None:
    downloader = ResumableDownloader(cache / "model.pt", progress=False)
    assert downloader(server.url("/model.pt"), "unused", None, check_only=True) is True
    assert downloader(server.base_url + "/absent.pt", "unused", None, check_only=True) is False
    assert [m for m, _, _ in server.seen] == ["HEAD", "HEAD"]
