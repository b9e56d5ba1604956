"""Shared fixtures: the assets location, temporary result folders, a local HTTP server, a network guard."""

from __future__ import annotations

import functools
import http.server
import ipaddress
import os
import socket
import threading
from pathlib import Path

import pytest

from bench import assets


def _is_loopback(host) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that opens a socket to anything but 127.0.0.1 / ::1 (or resolves such a name).

    The attempt raises OSError where it happens (as a machine without network would) and the
    test fails at teardown even if the code under test caught that error.
    """
    attempts: list[str] = []

    def refuse(what: str) -> None:
        attempts.append(what)
        raise OSError(f"network access in a test: {what} (only 127.0.0.1 is allowed)")

    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            refuse(f"connect to {address!r}")
        return real_connect(sock, address)

    def connect_ex(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            refuse(f"connect to {address!r}")
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host.decode() if isinstance(host, bytes) else host):
            refuse(f"resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    if attempts:
        pytest.fail(f"the test tried to reach the network: {'; '.join(attempts)}")


@pytest.fixture(scope="session")
def shared_assets() -> Path:
    """The shared assets folder; tests that need it skip with a reason when it is absent."""
    root = assets.assets_dir()
    if root is None or not (root / "data").is_dir():
        reason = "shared assets not found: set BENCH_ASSETS=../shared (CI always has them)"
        if os.environ.get("BENCH_REQUIRE_ASSETS"):
            pytest.fail(reason)
        pytest.skip(reason)
    return root


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty download cache for one test."""
    path = tmp_path / "cache"
    monkeypatch.setenv("BENCH_CACHE", str(path))
    monkeypatch.delenv("BENCH_OFFLINE", raising=False)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def file_server(tmp_path):
    """Serve ``tmp_path/www`` on 127.0.0.1 (an ephemeral port); yields (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
