"""The ``robust_models_transfer`` loader end to end: a MadryLab ``robustness`` checkpoint served
from 127.0.0.1, downloaded, verified, unwrapped and compared bit for bit with the network it holds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
import torchvision

from bench.errors import ChecksumError, DownloadError, SpecError
from bench.zoo import download
from bench.zoo.catalog import Zoo
from bench.zoo.model import load_model
from bench.zoo.schema import ModelEntry

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
FILE = "resnet18_linf_eps8.0.ckpt"
REPOSITORY = "madrylab/robust-imagenet-models"
CACHE_SUBDIR = "robust_models_transfer"


def _cached(cache: Path, identity: str, sha256: str | None) -> Path:
    """Where the loader keeps the checkpoint of ``identity`` pinned to ``sha256``."""
    return cache / download.content_subdir(CACHE_SUBDIR, identity, sha256) / FILE


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _robustness_checkpoint(state_dict: dict[str, torch.Tensor]) -> dict:
    """``state_dict`` in the layout the MadryLab ``robustness`` library saves (``AttackerModel`` in
    ``DataParallel``), with a plain SGD optimizer state, as in the released ``.ckpt`` files.

    The attacker's copy of the classifier is made different from the real one, so that a loader
    that took ``module.attacker.model.*`` instead of ``module.model.*`` fails the comparison.
    """
    mean, std = torch.tensor(MEAN).view(3, 1, 1), torch.tensor(STD).view(3, 1, 1)
    model = {"module.normalizer.new_mean": mean, "module.normalizer.new_std": std}
    model.update({f"module.model.{k}": v.clone() for k, v in state_dict.items()})
    model["module.attacker.normalize.new_mean"] = mean.clone()
    model["module.attacker.normalize.new_std"] = std.clone()
    model.update(
        {
            f"module.attacker.model.{k}": (v + 1 if v.is_floating_point() else v.clone())
            for k, v in state_dict.items()
        }
    )
    params = [torch.zeros(1, requires_grad=True)]
    optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4).state_dict()
    return {"model": model, "optimizer": optimizer, "schedule": None, "epoch": 90}


@pytest.fixture(scope="module")
def reference() -> torch.nn.Module:
    """A randomly initialised (seeded) torchvision ResNet-18, the network the checkpoint holds."""
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None, num_classes=1000).eval()


@pytest.fixture(scope="module")
def checkpoint_file(reference, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / FILE
    torch.save(_robustness_checkpoint(reference.state_dict()), path)
    return path


def _serve(checkpoint: Path, www: Path, relative: str) -> Path:
    """Put the checkpoint at ``www/relative`` (a hard link: the file is tens of MB)."""
    dest = www / relative
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.hardlink_to(checkpoint)
    return dest


def _entry(source: dict, mean=MEAN, std=STD) -> ModelEntry:
    """An entry shaped like ``resnet18_linf_eps8`` in model_zoo.yaml, with the given source fields."""
    return ModelEntry.model_validate(
        {
            "id": "resnet18_linf_eps8_test",
            "dataset": "imagenet",
            "num_classes": 1000,
            "training": {"method": "pgd_at", "threat_model": "Linf", "eps": "8/255"},
            "architecture": {"name": "resnet18"},
            "source": {"loader": "robust_models_transfer", "file": FILE, **source},
            "preprocessing": {
                "input_size": (3, 224, 224),
                "transform": "Res256Crop224",
                "normalization": {"mean": mean, "std": std},
            },
        }
    )


def _assert_same_logits(model: torch.nn.Module, reference: torch.nn.Module) -> None:
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = reference((x - mean) / std)
        got = model(x)
    assert got.shape == (2, 1000)
    assert torch.equal(got, expected)


def test_url_download_gives_the_checkpoints_network(
    cache, file_server, checkpoint_file, reference, monkeypatch
):
    www, base = file_server
    _serve(checkpoint_file, www, f"files/{FILE}")
    entry = _entry({"url": f"{base}/files/{FILE}", "sha256": _sha256(checkpoint_file)})

    model = load_model(entry)

    _assert_same_logits(model, reference)
    cached = _cached(cache, f"{base}/files/{FILE}", _sha256(checkpoint_file))
    assert cached.is_file() and _sha256(cached) == _sha256(checkpoint_file)
    assert not model.training and not any(p.requires_grad for p in model.parameters())

    # A second load is served from the cache alone.
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    _assert_same_logits(load_model(entry), reference)


def test_wrong_sha256_pin_is_refused(cache, file_server, checkpoint_file):
    www, base = file_server
    _serve(checkpoint_file, www, FILE)
    entry = _entry({"url": f"{base}/{FILE}", "sha256": "0" * 64})

    with pytest.raises(ChecksumError, match=_sha256(checkpoint_file)):
        load_model(entry)
    assert not any(cache.rglob(FILE))


def test_normalization_disagreeing_with_checkpoint_is_a_spec_error(
    cache, file_server, checkpoint_file
):
    www, base = file_server
    _serve(checkpoint_file, www, FILE)
    entry = _entry(
        {"url": f"{base}/{FILE}", "sha256": _sha256(checkpoint_file)}, mean=(0.5, 0.5, 0.5)
    )

    with pytest.raises(SpecError, match="normalizes with mean"):
        load_model(entry)


def test_checkpoint_without_classifier_weights_is_a_spec_error(cache, file_server, tmp_path):
    www, base = file_server
    checkpoint = _robustness_checkpoint(
        {"fc.weight": torch.zeros(1000, 512), "fc.bias": torch.zeros(1000)}
    )
    checkpoint["model"] = {
        k: v for k, v in checkpoint["model"].items() if not k.startswith("module.model.")
    }
    torch.save(checkpoint, www / FILE)
    entry = _entry({"url": f"{base}/{FILE}", "sha256": _sha256(www / FILE)})

    with pytest.raises(SpecError, match=r"module\.model\.\*"):
        load_model(entry)


class _Fetched(Exception):
    pass


def test_zoo_entry_asks_the_hub_for_its_file_at_its_pinned_revision(monkeypatch):
    """The real ``resnet18_linf_eps8`` entry asks huggingface_hub for the published file at the
    pinned commit (no network: ``hub_file`` is replaced; tests/test_hub.py runs it for real)."""
    from bench.zoo import hub

    calls = []

    def record(repository, filename, **kwargs):
        calls.append((repository, filename, kwargs))
        raise _Fetched

    monkeypatch.setattr(hub, "hub_file", record)
    entry = Zoo.load().get("resnet18_linf_eps8")

    with pytest.raises(_Fetched):
        load_model(entry)
    assert calls == [
        (
            REPOSITORY,
            "resnet18_linf_eps8.0.ckpt",
            {"revision": "1c68d6e185c2a503ec164cc8f736b1642b12d769", "sha256": entry.source.sha256},
        )
    ]


def test_a_hub_source_without_a_pinned_commit_is_refused():
    with pytest.raises(ValueError, match="revision"):
        _entry({})
    with pytest.raises(ValueError, match="revision"):
        _entry({"revision": "main"})


def _other_checkpoint(tmp_path: Path) -> tuple[Path, torch.nn.Module]:
    """A second checkpoint under the same file name, holding a different network."""
    torch.manual_seed(1)
    other = torchvision.models.resnet18(weights=None, num_classes=1000).eval()
    path = tmp_path / "other" / FILE
    path.parent.mkdir()
    torch.save(_robustness_checkpoint(other.state_dict()), path)
    return path, other


def test_same_file_name_from_another_source_never_shares_weights(
    cache, file_server, checkpoint_file, reference, tmp_path, monkeypatch
):
    """Issue 13: the cache was keyed by file name alone, so entry B got entry A's weights."""
    www, base = file_server
    other_file, other = _other_checkpoint(tmp_path)
    _serve(checkpoint_file, www, f"a/{FILE}")
    _serve(other_file, www, f"b/{FILE}")
    first = _entry({"url": f"{base}/a/{FILE}", "sha256": _sha256(checkpoint_file)})
    second = _entry({"url": f"{base}/b/{FILE}", "sha256": _sha256(other_file)})
    unpinned = _entry({"url": f"{base}/b/{FILE}"})
    nowhere = _entry({"url": f"{base}/absent/{FILE}"})

    _assert_same_logits(load_model(first), reference)
    _assert_same_logits(load_model(second), other)  # asked the server, not the cache
    _assert_same_logits(load_model(unpinned), other)
    with pytest.raises(DownloadError, match="HTTP 404"):
        load_model(nowhere)  # a source that does not exist is never served another's file
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    _assert_same_logits(load_model(first), reference)
    _assert_same_logits(load_model(second), other)
    assert len(list(cache.rglob(FILE))) == 3


def test_a_pinned_cached_file_is_verified_each_time_it_is_used(
    cache, file_server, checkpoint_file, monkeypatch
):
    www, base = file_server
    _serve(checkpoint_file, www, FILE)
    entry = _entry({"url": f"{base}/{FILE}", "sha256": _sha256(checkpoint_file)})
    load_model(entry)
    cached = _cached(cache, f"{base}/{FILE}", _sha256(checkpoint_file))
    data = cached.read_bytes()
    cached.write_bytes(
        data[:-1] + bytes([data[-1] ^ 1])
    )  # the cached copy changes behind bench's back
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    with pytest.raises(ChecksumError, match="Delete"):
        load_model(entry)
