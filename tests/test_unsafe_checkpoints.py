"""A pickle that runs code when loaded is refused by every loader, and nothing it would do happens.

The payload is an object whose ``__reduce__`` is ``os.system("touch <sentinel>")``, written both
as a plain pickle and in ``torch.save``'s zip format. Each registered loader gets an entry whose
checkpoint is that file, reached the way that loader reaches files (package resource, assets
folder, local path, download from 127.0.0.1 with a matching SHA-256 pin, RobustBench cache).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from bench import assets
from bench.errors import SpecError, UnsafeCheckpointError
from bench.zoo.loaders import LOADERS, robustbench_files
from bench.zoo.model import load_model
from bench.zoo.schema import ModelEntry

FORMATS = ("pickle", "torch_zip")
PACKAGE = "bench_test_trojan_weights"  # a fake installed package holding the payload as a resource


class _RunsCommand:
    """Unpickling this calls ``os.system(command)``."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def write_payload(path: Path, sentinel: Path, fmt: str) -> Path:
    """A checkpoint-looking file whose unpickling creates ``sentinel``."""
    checkpoint = {"state_dict": _RunsCommand(f"touch {shlex.quote(str(sentinel))}"), "epoch": 1}
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pickle":
        path.write_bytes(pickle.dumps(checkpoint))
    else:
        torch.save(checkpoint, path)
    return path


@dataclass
class Setup:
    """What a case needs to place the payload where its loader looks."""

    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch
    request: pytest.FixtureRequest
    cache: Path
    fmt: str
    sentinel: Path

    def payload(self, path: Path) -> Path:
        return write_payload(path, self.sentinel, self.fmt)

    def assets_folder(self) -> Path:
        root = self.tmp_path / "assets"
        self.monkeypatch.setattr(assets, "_override", None)  # restored after the test
        assets.set_assets_dir(root)
        return root

    def served(self, name: str) -> tuple[str, str]:
        """Serve the payload from 127.0.0.1; its URL and SHA-256 (so the pin passes)."""
        www, base_url = self.request.getfixturevalue("file_server")  # started only for these cases
        path = self.payload(www / name)
        return f"{base_url}/{name}", hashlib.sha256(path.read_bytes()).hexdigest()


def _entry(
    loader_fields: dict, architecture: str | None = "cnn_a", dataset: str = "cifar10"
) -> ModelEntry:
    return ModelEntry.model_validate(
        {
            "id": "trojan",
            "dataset": dataset,
            "num_classes": {"imagenet": 1000}.get(dataset, 10),
            "training": {"method": "standard"},
            "source": loader_fields,
            "preprocessing": {
                "input_size": (3, 224, 224) if dataset == "imagenet" else (3, 32, 32)
            },
            **({"architecture": {"name": architecture}} if architecture else {}),
        }
    )


def _package_file(s: Setup) -> ModelEntry:
    root = s.tmp_path / "site"
    package = root / PACKAGE
    package.mkdir(parents=True)
    # Importing the package would leave its own sentinel: the loader must find the file without importing.
    (package / "__init__.py").write_text(f"open({str(s.tmp_path / 'imported')!r}, 'w').close()\n")
    s.payload(package / "weights" / "model.pt")
    s.monkeypatch.syspath_prepend(str(root))
    return _entry({"loader": "package_file", "package": PACKAGE, "resource": "weights/model.pt"})


def _shared_asset(s: Setup) -> ModelEntry:
    s.payload(s.assets_folder() / "models" / "trojan.pt")
    return _entry({"loader": "shared_asset", "asset": "models/trojan.pt"})


def _user_checkpoint_path(s: Setup) -> ModelEntry:
    path = s.payload(s.tmp_path / "mine" / "trojan.pt")
    return _entry({"loader": "user_checkpoint", "path": str(path)})


def _user_checkpoint_url(s: Setup) -> ModelEntry:
    url, sha256 = s.served("trojan.pt")
    return _entry({"loader": "user_checkpoint", "url": url, "sha256": sha256})


def _proper_interpretability(s: Setup) -> ModelEntry:
    s.payload(s.assets_folder() / "models" / "proper-interpretability" / "trojan.pkl")
    return _entry(
        {"loader": "proper_interpretability", "asset": "models/proper-interpretability/trojan.pkl"},
        architecture="smallgap",
    )


def _robust_models_transfer(s: Setup) -> ModelEntry:
    url, sha256 = s.served("trojan.ckpt")
    return _entry(
        {"loader": "robust_models_transfer", "file": "trojan.ckpt", "url": url, "sha256": sha256},
        architecture="resnet18",
        dataset="imagenet",
    )


def _robustbench(s: Setup) -> ModelEntry:
    s.monkeypatch.setenv("BENCH_OFFLINE", "1")  # the placed file is used; nothing is downloaded
    (path,) = robustbench_files("Wong2020Fast", "cifar10", "Linf", s.cache / "robustbench")
    s.payload(path)
    return _entry(
        {
            "loader": "robustbench",
            "name": "Wong2020Fast",
            "dataset": "cifar10",
            "threat_model": "Linf",
        },
        architecture=None,
    )


CASES: dict[str, tuple[str, Callable[[Setup], ModelEntry]]] = {
    "package_file": ("package_file", _package_file),
    "shared_asset": ("shared_asset", _shared_asset),
    "user_checkpoint-path": ("user_checkpoint", _user_checkpoint_path),
    "user_checkpoint-url": ("user_checkpoint", _user_checkpoint_url),
    "proper_interpretability": ("proper_interpretability", _proper_interpretability),
    "robust_models_transfer": ("robust_models_transfer", _robust_models_transfer),
    "robustbench": ("robustbench", _robustbench),
}


def test_cases_cover_every_registered_loader():
    assert sorted({loader for loader, _ in CASES.values()}) == LOADERS.names()


def _refusal(case: str, fmt: str) -> type[Exception] | tuple[type[Exception], ...]:
    """UnsafeCheckpointError, except for a zip given to paper 001's plain-pickle reader.

    That reader is not torch.load: a zip is not a pickle to it, and it stops on the zip header
    (``PK..`` reads as a protocol-0 persistent id) before reaching the payload, with a SpecError
    ("not a readable pickle") or, should the header bytes happen to be ASCII, UnsafeCheckpointError.
    """
    if (case, fmt) == ("proper_interpretability", "torch_zip"):
        return (UnsafeCheckpointError, SpecError)
    return UnsafeCheckpointError


@pytest.mark.filterwarnings(
    "ignore:Detected pickle protocol"
)  # torch's note on the plain pickle's protocol
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES)
def test_loader_refuses_code_running_pickle(case, fmt, tmp_path, monkeypatch, request, cache):
    _assert_refused(
        case, fmt, Setup(tmp_path, monkeypatch, request, cache, fmt, tmp_path / "payload_ran")
    )


@pytest.mark.parametrize("case", CASES)
def test_users_force_no_weights_only_does_not_lift_the_refusal(
    case, tmp_path, monkeypatch, request, cache
):
    """``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` turns torch.load calls that pass no ``weights_only``
    (robustbench's) into unsafe loads; bench's loaders must still refuse."""
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    _assert_refused(
        case,
        "torch_zip",
        Setup(tmp_path, monkeypatch, request, cache, "torch_zip", tmp_path / "payload_ran"),
    )
    assert os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] == "1"


def _assert_refused(case: str, fmt: str, setup: Setup) -> None:
    loader, build = CASES[case]
    entry = build(setup)
    assert entry.source.loader == loader
    weights_only_env = os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD")

    with pytest.raises(_refusal(case, fmt)):
        load_model(entry)

    assert not setup.sentinel.exists()
    assert not (setup.tmp_path / "imported").exists()
    assert PACKAGE not in sys.modules
    assert (
        os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD") == weights_only_env
    )  # robustbench's override undone


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_payload_runs_when_loaded_unsafely(fmt, tmp_path):
    """The same file loaded the unsafe way does run its command, so the tests above can fail."""
    sentinel = tmp_path / "payload_ran"
    path = write_payload(tmp_path / "trojan.pt", sentinel, fmt)
    if fmt == "pickle":
        pickle.loads(path.read_bytes())
    else:
        torch.load(path, weights_only=False)
    assert sentinel.exists()


def test_control_fake_package_leaves_its_sentinel_when_imported(
    tmp_path, monkeypatch, request, cache
):
    _package_file(Setup(tmp_path, monkeypatch, request, cache, "pickle", tmp_path / "payload_ran"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    subprocess.run([sys.executable, "-c", f"import {PACKAGE}"], check=True, env=env)
    assert (tmp_path / "imported").exists()
