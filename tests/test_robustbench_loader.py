"""RobustBench's zoo as bench entries, and the ``robustbench`` loader on a checkpoint placed in
the cache (robustbench's own ``load_model`` reads it; nothing is downloaded)."""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
import torch

from bench.compat import import_robustbench
from bench.errors import MissingFileError
from bench.zoo.catalog import ROBUSTBENCH_PREFIX, robustbench_entries
from bench.zoo.loaders import robustbench_files
from bench.zoo.model import load_model
from bench.zoo.schema import ModelEntry

import_robustbench()
from robustbench.model_zoo import model_dicts  # noqa: E402
from robustbench.model_zoo.enums import BenchmarkDataset, ThreatModel  # noqa: E402

NAME = "Wong2020Fast"  # PreActResNet-18 with its normalization inside (buffers mu, sigma)
ENTRY_ID = f"{ROBUSTBENCH_PREFIX}cifar10-Linf-{NAME}"


@pytest.fixture(scope="module")
def entries() -> dict[str, ModelEntry]:
    return robustbench_entries()


def test_entries_list_every_robustbench_model(entries):
    expected = {(d.value, t.value): len(models) for d, by_threat in model_dicts.items()
                for t, models in by_threat.items()}
    got = Counter((e.source.dataset, e.source.threat_model) for e in entries.values())
    assert dict(got) == expected
    assert set(entries) == {f"{ROBUSTBENCH_PREFIX}{d.value}-{t.value}-{name}"
                            for d, by_threat in model_dicts.items() for t, models in by_threat.items()
                            for name in models}


def test_every_entry_validates(entries):
    for model_id, entry in entries.items():
        again = ModelEntry.model_validate(entry.model_dump(mode="json"))
        assert again == entry, model_id
        assert entry.id == model_id and entry.source.loader == "robustbench"
        assert entry.source.name in model_dicts[BenchmarkDataset(entry.source.dataset)][
            ThreatModel(entry.source.threat_model)]


def _source_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return model_dicts[BenchmarkDataset.cifar_10][ThreatModel.Linf][NAME]["model"]().eval()


# Checkpoints come in both layouts robustbench's load_model accepts: a bare state dict, and
# ``{'state_dict': ...}`` with DataParallel's ``module.`` prefix (which it strips).
LAYOUTS = {
    "bare": lambda sd: sd,
    "state_dict_module": lambda sd: {"state_dict": {f"module.{k}": v for k, v in sd.items()}},
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cached_checkpoint_loads_to_the_same_network(cache, entries, monkeypatch, layout):
    monkeypatch.setenv("BENCH_OFFLINE", "1")  # a missing file would fail instead of downloading
    entry = entries[ENTRY_ID]
    (path,) = robustbench_files(NAME, "cifar10", "Linf", cache / "robustbench")
    assert path == cache / "robustbench" / "cifar10" / "Linf" / f"{NAME}.pt"
    source = _source_model()
    path.parent.mkdir(parents=True)
    torch.save(LAYOUTS[layout](source.state_dict()), path)

    model = load_model(entry)

    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(model(x), source(x))
    assert not model.training


def test_users_force_no_weights_only_env_does_not_break_loading(cache, entries, monkeypatch):
    """torch refuses to load when both FORCE variables are set; the loader lifts the user's meanwhile."""
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    (path,) = robustbench_files(NAME, "cifar10", "Linf", cache / "robustbench")
    source = _source_model()
    path.parent.mkdir(parents=True)
    torch.save(source.state_dict(), path)

    weights_only_env = os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD")

    model = load_model(entries[ENTRY_ID])

    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(model(x), source(x))
    assert os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] == "1"
    assert os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD") == weights_only_env


def test_offline_without_checkpoint_names_the_expected_path(cache, entries, monkeypatch):
    monkeypatch.setenv("BENCH_OFFLINE", "1")
    expected = cache / "robustbench" / "cifar10" / "Linf" / f"{NAME}.pt"

    with pytest.raises(MissingFileError, match=re.escape(str(expected))):
        load_model(entries[ENTRY_ID])
    assert not expected.exists()
