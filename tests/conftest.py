"""Shared fixtures: the assets location, temporary result folders, a local HTTP server."""

from __future__ import annotations

import functools
import os
import http.server
import threading
from pathlib import Path

import pytest

from bench import assets


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
