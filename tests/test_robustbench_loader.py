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
from bench.zoo.model import load_model
from bench.zoo.robustbench_loader import robustbench_files
from bench.zoo.schema import ModelEntry

import_robustbench()
from robustbench.model_zoo import model_dicts  # noqa: E402  (after the compat shim above)
from robustbench.model_zoo.enums import BenchmarkDataset, ThreatModel  # noqa: E402

NAME = "Wong2020Fast"  # PreActResNet-18 with its normalization inside (buffers mu, sigma)
ENTRY_ID = f"{ROBUSTBENCH_PREFIX}cifar10-Linf-{NAME}"


@pytest.fixture(scope="module")
def entries() -> dict[str, ModelEntry]:
    return robustbench_entries()


def test_entries_list_every_robustbench_model(entries):
    expected = {
        (d.value, t.value): len(models)
        for d, by_threat in model_dicts.items()
        for t, models in by_threat.items()
    }
    got = Counter((e.source.dataset, e.source.threat_model) for e in entries.values())
    assert dict(got) == expected
    assert set(entries) == {
        f"{ROBUSTBENCH_PREFIX}{d.value}-{t.value}-{name}"
        for d, by_threat in model_dicts.items()
        for t, models in by_threat.items()
        for name in models
    }


def test_every_entry_validates(entries):
    for model_id, entry in entries.items():
        again = ModelEntry.model_validate(entry.model_dump(mode="json"))
        assert again == entry, model_id
        assert entry.id == model_id and entry.source.loader == "robustbench"
        assert (
            entry.source.name
            in model_dicts[BenchmarkDataset(entry.source.dataset)][
                ThreatModel(entry.source.threat_model)
            ]
        )


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


def _no_network(monkeypatch):
    """Every HTTP request fails as on a machine without network (before any socket is opened)."""
    import requests

    def unreachable(self, method, url, *args, **kwargs):
        raise requests.exceptions.ConnectionError(
            f"HTTPSConnectionPool(host='drive.google.com', port=443): Max retries exceeded with url: {url} "
            "(Caused by NameResolutionError: Failed to resolve 'drive.google.com')"
        )

    monkeypatch.setattr(requests.Session, "request", unreachable)


def test_unreachable_network_without_offline_flag_is_one_paragraph(
    cache, entries, monkeypatch, capsys
):
    """Issue 17: gdown's 87-line traceback becomes one DownloadError paragraph naming the file to place."""
    from bench.errors import DownloadError

    monkeypatch.delenv("BENCH_OFFLINE", raising=False)
    _no_network(monkeypatch)
    expected = cache / "robustbench" / "cifar10" / "Linf" / f"{NAME}.pt"

    with pytest.raises(DownloadError) as info:
        load_model(entries[ENTRY_ID])
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert str(expected) in message and "drive.google.com" in message and ENTRY_ID in message
    assert not expected.exists()
    out = capsys.readouterr()
    assert out.out == "" and "Downloading" in out.err  # robustbench's print went to stderr


def test_first_download_leaves_evaluate_json_valid(
    shared_assets, cache, tmp_path, monkeypatch, capsys
):
    """robustbench prints "Downloading ..." while it fetches; ``bench evaluate --json`` stdout must still parse."""
    import json

    import gdown

    from bench.cli.main import main

    monkeypatch.delenv("BENCH_OFFLINE", raising=False)
    source = _source_model()

    def download(id=None, output=None, **kwargs):  # what a successful Google Drive download leaves
        print("gdown progress on stdout")  # as a careless downloader would; must end on stderr too
        torch.save(source.state_dict(), output)
        return output

    monkeypatch.setattr(gdown, "download", download)
    code = main(
        [
            "evaluate",
            "--model",
            ENTRY_ID,
            "--protocol",
            "cifar10-default",
            "--n-examples",
            "4",
            "--device",
            "cpu",
            "--no-progress",
            "--json",
            "--results",
            str(tmp_path / "results"),
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    parsed = json.loads(out.out)
    assert "Downloading" in out.err and "gdown progress" in out.err
    assert "Downloading" not in out.out and parsed
    assert (cache / "robustbench" / "cifar10" / "Linf" / f"{NAME}.pt").is_file()


def test_evaluate_json_reports_an_unreachable_network_as_one_paragraph(
    shared_assets, cache, monkeypatch, capsys
):
    from bench.cli.main import main

    monkeypatch.delenv("BENCH_OFFLINE", raising=False)
    _no_network(monkeypatch)
    code = main(
        [
            "evaluate",
            "--model",
            ENTRY_ID,
            "--protocol",
            "cifar10-default",
            "--n-examples",
            "4",
            "--device",
            "cpu",
            "--no-progress",
            "--json",
            "--results",
            str(cache / "results"),
        ]
    )
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""  # nothing but JSON may go to stdout, and there is no result
    assert "Could not download the RobustBench checkpoint" in out.err and "Traceback" not in out.err
