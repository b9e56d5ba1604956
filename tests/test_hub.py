"""robust-models-transfer checkpoints through ``huggingface_hub.hf_hub_download``, against a
loopback server on 127.0.0.1 that answers like the Hub: ``/<repo>/resolve/<commit>/<file>``
answers HEAD with a redirect to its CDN and the headers ``hf_hub_download`` reads
(``X-Repo-Commit``, ``X-Linked-Etag`` = the LFS SHA-256, ``X-Linked-Size``), and the CDN serves
the bytes (with ``Range``). A real registry entry is loaded end to end at its pinned revision."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from pathlib import Path

import pytest
import torch
import torchvision

from bench.errors import ChecksumError, DownloadError, MissingFileError
from bench.zoo.catalog import Zoo
from bench.zoo.hub import snapshot_path
from bench.zoo.model import load_model

ENTRY_ID = (
    "shufflenet_l2_eps0"  # the smallest published checkpoint (torchvision shufflenet_v2_x1_0)
)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class HubHandler(http.server.BaseHTTPRequestHandler):
    """The Hub's resolve endpoint and its CDN for the files in ``self.server.files``.

    ``server.files`` maps ``(repo, commit, filename)`` to bytes; ``server.etag`` may override the
    LFS SHA-256 announced; ``server.drop_after`` cuts the first CDN response after that many bytes.
    """

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        self.server.requests.append((self.command, self.path, self.headers.get("Range")))
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 5 and parts[2] == "resolve":
            return self._resolve(parts)
        if len(parts) == 4 and parts[0] == "cdn":
            return self._cdn(parts[1:], body)
        self._status(404)

    def _resolve(self, parts: list[str]) -> None:
        key = (f"{parts[0]}/{parts[1]}", parts[3], parts[4])
        if key not in self.server.files:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = self.server.files[key]
        self.send_response(302)
        self.send_header(
            "Location",
            f"http://localhost:{self.server.server_address[1]}/cdn/{'/'.join(parts[3:])}"
            f"/{hashlib.sha256(data).hexdigest()}",
        )
        self.send_header("X-Repo-Commit", key[1])
        self.send_header(
            "X-Linked-Etag", f'"{self.server.etag or hashlib.sha256(data).hexdigest()}"'
        )
        self.send_header("X-Linked-Size", str(len(data)))
        self.send_header("ETag", '"pointer-etag"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _cdn(self, parts: list[str], body: bool) -> None:
        data = next(
            (d for d in self.server.files.values() if hashlib.sha256(d).hexdigest() == parts[2]),
            None,
        )
        if data is None:
            return self._status(404)
        start = (
            int(self.headers["Range"].split("=")[1].split("-")[0])
            if self.headers.get("Range")
            else 0
        )
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if body:
            self._write(data[start:])

    def _write(self, chunk: bytes) -> None:
        if self.server.drop_after is not None:
            cut, self.server.drop_after = self.server.drop_after, None
            self.wfile.write(chunk[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(chunk)

    def _status(self, code: int) -> None:
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _point_hub_at(monkeypatch, url: str) -> None:
    """``HF_ENDPOINT`` for bench; huggingface_hub's agent-harness look-up (a side request to the
    endpoint it read at import, docs/compatibility.md) answers "no registry" without a request."""
    from huggingface_hub.utils import _detect_agent

    monkeypatch.delenv("BENCH_HF_ENDPOINT", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(_detect_agent, "_fetch_registry", lambda: None)


@pytest.fixture
def hub(monkeypatch):
    """A loopback Hub; ``HF_ENDPOINT`` points at it. Yields the server (files, requests, etag, drop_after)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HubHandler)
    server.files, server.requests, server.etag, server.drop_after = {}, [], None, None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    _point_hub_at(monkeypatch, f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@functools.lru_cache(maxsize=1)
def _reference() -> torch.nn.Module:
    torch.manual_seed(0)
    return torchvision.models.shufflenet_v2_x1_0(weights=None, num_classes=1000).eval()


@functools.lru_cache(maxsize=1)
def _checkpoint_bytes() -> bytes:
    """The reference network in the layout robustness saves a torchvision net (add_custom_forward):
    ``module.model.model.*`` holds the classifier, ``module.attacker.model.model.*`` a perturbed copy."""
    import io

    sd = _reference().state_dict()
    mean, std = torch.tensor(MEAN).view(3, 1, 1), torch.tensor(STD).view(3, 1, 1)
    model = {
        "module.normalizer.new_mean": mean,
        "module.normalizer.new_std": std,
        "module.attacker.normalize.new_mean": mean.clone(),
        "module.attacker.normalize.new_std": std.clone(),
    }
    model.update({f"module.model.model.{k}": v.clone() for k, v in sd.items()})
    model.update(
        {
            f"module.attacker.model.model.{k}": (v + 1 if v.is_floating_point() else v.clone())
            for k, v in sd.items()
        }
    )
    buffer = io.BytesIO()
    torch.save({"model": model, "optimizer": None, "schedule": None, "epoch": 90}, buffer)
    return buffer.getvalue()


def _publish(hub, entry) -> bytes:
    data = _checkpoint_bytes()
    hub.files[(entry.source.repository, entry.source.revision, entry.source.file)] = data
    return data


def _stored(cache: Path) -> list[Path]:
    """Checkpoint content in the Hub cache (blobs and snapshot links; locks and tags aside)."""
    return [p for p in cache.rglob("*") if p.is_file() and {"blobs", "snapshots"} & set(p.parts)]


def _assert_reference_logits(model) -> None:
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = _reference()(
            (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
        )
        assert torch.equal(model(x), expected)


def test_registry_entry_loads_through_hf_hub_download_at_its_pinned_revision(
    cache, hub, monkeypatch
):
    entry = Zoo.load().get(ENTRY_ID)
    assert len(entry.source.revision) == 40
    _publish(hub, entry)

    _assert_reference_logits(load_model(entry))

    resolve = f"/{entry.source.repository}/resolve/{entry.source.revision}/{entry.source.file}"
    assert ("HEAD", resolve, None) in hub.requests
    assert any(method == "GET" and path.startswith("/cdn/") for method, path, _ in hub.requests)
    file_requests = [path for _, path, _ in hub.requests if entry.source.file in path]
    assert file_requests and all(entry.source.revision in path for path in file_requests), (
        hub.requests
    )
    cached = snapshot_path(entry.source.repository, entry.source.revision, entry.source.file)
    assert (
        cached.is_file()
        and cached.resolve().name == hashlib.sha256(_checkpoint_bytes()).hexdigest()
    )

    # Again: a file at a pinned commit found in the Hub cache is used without asking the Hub.
    hub.requests.clear()
    _assert_reference_logits(load_model(entry))
    assert not [path for _, path, _ in hub.requests if entry.source.file in path]

    # Again, offline: from the Hub cache alone, with no request.
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    _assert_reference_logits(load_model(entry))
    assert not [path for _, path, _ in hub.requests if entry.source.file in path]


def test_a_pinned_sha256_is_checked_and_a_bad_download_discarded(cache, hub):
    entry = Zoo.load().get(ENTRY_ID)
    _publish(hub, entry)
    pinned = entry.model_copy(
        update={"source": entry.source.model_copy(update={"sha256": "0" * 64})}
    )

    with pytest.raises(ChecksumError, match=hashlib.sha256(_checkpoint_bytes()).hexdigest()):
        load_model(pinned)
    assert not snapshot_path(
        entry.source.repository, entry.source.revision, entry.source.file
    ).exists()
    assert _stored(cache) == []


def test_an_unpinned_download_must_match_the_hubs_lfs_sha256(cache, hub):
    entry = Zoo.load().get(ENTRY_ID)
    assert entry.source.sha256 is None  # this file's pin is not known offline
    _publish(hub, entry)
    hub.etag = "1" * 64  # the Hub announces another content than it serves

    with pytest.raises(ChecksumError, match="1" * 64):
        load_model(entry)
    assert _stored(cache) == []


def test_a_dropped_connection_is_resumed_with_a_range_request(cache, hub):
    from huggingface_hub import constants

    entry = Zoo.load().get(ENTRY_ID)
    data = _publish(hub, entry)
    # huggingface_hub keeps what it has read in whole chunks: cut the connection after more than one.
    hub.drop_after = constants.DOWNLOAD_CHUNK_SIZE + 4096
    assert len(data) > hub.drop_after

    _assert_reference_logits(load_model(entry))
    starts = [
        int(r.split("=")[1].split("-")[0]) for method, _, r in hub.requests if method == "GET" and r
    ]
    assert len(starts) == 1 and 0 < starts[0] <= constants.DOWNLOAD_CHUNK_SIZE + 4096


def test_offline_with_an_empty_cache_names_the_file_and_makes_no_request(cache, hub, monkeypatch):
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    entry = Zoo.load().get(ENTRY_ID)

    with pytest.raises(MissingFileError) as info:
        load_model(entry)
    message = str(info.value)
    assert (
        str(snapshot_path(entry.source.repository, entry.source.revision, entry.source.file))
        in message
    )
    assert (
        f"/{entry.source.repository}/resolve/{entry.source.revision}/{entry.source.file}" in message
    )
    assert hub.requests == []  # not even huggingface_hub's own look-ups: it is never called


def test_a_file_the_hub_does_not_have_is_a_download_error(cache, hub):
    entry = Zoo.load().get(ENTRY_ID)  # nothing published

    with pytest.raises(DownloadError, match="has no file shufflenet_l2_eps0.ckpt"):
        load_model(entry)


def test_an_unreachable_hub_is_one_paragraph(cache, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _point_hub_at(monkeypatch, f"http://127.0.0.1:{port}")
    entry = Zoo.load().get(ENTRY_ID)

    with pytest.raises(DownloadError) as info:
        load_model(entry)
    assert "\n" not in str(info.value) and str(
        snapshot_path(entry.source.repository, entry.source.revision, entry.source.file)
    ) in str(info.value)


def test_every_family_member_is_pinned_to_a_commit_and_lists_in_bench_list(capsys):
    import json

    from bench.cli.main import main

    assert main(["list", "--json"]) == 0
    listed = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    rmt = {k: e for k, e in listed.items() if e["source"]["loader"] == "robust_models_transfer"}
    assert len(rmt) >= 67
    assert {e["source"]["revision"] for e in rmt.values()} == {
        "1c68d6e185c2a503ec164cc8f736b1642b12d769"
    }
    for arch in (
        "densenet",
        "mnasnet",
        "mobilenet",
        "resnext50_32x4d",
        "shufflenet",
        "vgg16_bn",
    ):
        assert {f"{arch}_l2_eps0", f"{arch}_l2_eps3"} <= set(rmt)
    assert "resnet50_linf_eps0" in rmt
    with_figure = [e for e in rmt.values() if "clean_accuracy" in e["reported"]]
    assert len(with_figure) == 67 and all(
        0.4 < e["reported"]["clean_accuracy"] < 0.8 for e in with_figure
    )
