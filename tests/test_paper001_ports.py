"""Paper 001's (Boopathy et al., ICML 2020) CAM nets: SAME padding, CAM completeness,
the restricted unpickler, and the real released weights against ASSETS.md's accuracies."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bench.errors import MissingFileError, SpecError, UnsafeCheckpointError
from bench.zoo.architectures import build_architecture
from bench.zoo.architectures.paper001 import SamePadConv2d, load_paper001, same_padding
from bench.zoo.safe_pickle import load_numpy_pickle

ARCH_INPUTS = {"smallgap": (3, 32), "pool": (1, 28), "wresnet": (3, 32)}
CAM_SIZES = {"smallgap": 8, "pool": 7, "wresnet": 8}


def _random_model(arch: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    in_channels, _ = ARCH_INPUTS[arch]
    return build_architecture(arch, 10, {"in_channels": in_channels}).eval()


def _random_input(arch: str, n: int = 4) -> torch.Tensor:
    in_channels, size = ARCH_INPUTS[arch]
    return torch.rand(n, in_channels, size, size, generator=torch.Generator().manual_seed(1))


# --- (a) TF "SAME" padding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "expected"),
    [
        (32, 3, 2, (0, 1)),
        (32, 4, 2, (1, 1)),
        (8, 7, 1, (3, 3)),
        (28, 5, 1, (2, 2)),
        (5, 2, 2, (0, 1)),
        (28, 2, 2, (0, 0)),
    ],
)
def test_same_padding_amounts(size, kernel, stride, expected):
    assert same_padding(size, kernel, stride) == expected


def test_same_pad_conv_hand_computed():
    """3x3 all-ones kernel, stride 2, on a 4x4 all-ones image: SAME pads 0 before, 1 after."""
    conv = SamePadConv2d(1, 1, 3, stride=2, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    out = conv(torch.ones(1, 1, 4, 4))
    assert torch.equal(out, torch.tensor([[[[9.0, 6.0], [6.0, 4.0]]]]))


def test_same_pad_conv_equals_explicit_pad_then_conv():
    torch.manual_seed(0)
    conv = SamePadConv2d(3, 5, 3, stride=2)
    x = torch.rand(2, 3, 32, 32)
    reference = F.conv2d(F.pad(x, (0, 1, 0, 1)), conv.weight, conv.bias, stride=2)
    symmetric = F.conv2d(x, conv.weight, conv.bias, stride=2, padding=1)
    assert torch.equal(conv(x), reference)
    assert not torch.allclose(conv(x), symmetric)


@pytest.mark.parametrize(
    ("in_channels", "size", "sizes"), [(3, 32, [16, 8, 8]), (1, 28, [14, 7, 7])]
)
def test_smallgap_feature_sizes(in_channels, size, sizes):
    model = build_architecture("smallgap", 10, {"in_channels": in_channels})
    x = torch.rand(1, in_channels, size, size)
    h1 = model.conv1(x)
    h2 = model.conv2(F.relu(h1))
    h3 = model.conv3(F.relu(h2))
    assert [h.shape[-1] for h in (h1, h2, h3)] == sizes
    assert model.cam(x).shape == (1, 10, sizes[-1], sizes[-1])


# --- (b) CAM completeness ------------------------------------------------------------------------


@pytest.mark.parametrize("arch", sorted(ARCH_INPUTS))
def test_logits_are_the_spatial_mean_of_the_cam(arch):
    model, x = _random_model(arch), _random_input(arch)
    with torch.no_grad():
        cam, logits = model.cam(x), model(x)
    size = CAM_SIZES[arch]
    assert cam.shape == (4, 10, size, size)
    assert torch.equal(logits, cam.mean(dim=(2, 3)))


@pytest.mark.parametrize("arch", sorted(ARCH_INPUTS))
def test_no_batchnorm_and_bias_free_cam_conv(arch):
    model = _random_model(arch)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    assert model.cam_conv.bias is None and model.cam_conv.kernel_size == (1, 1)


# --- load_arrays: layout and shape checks ----------------------------------------------------------


def _release_arrays(model: torch.nn.Module, seed: int = 0) -> list[tuple[np.ndarray, ...]]:
    """Random arrays in the release's layout (HWIO weights) for every slot of ``model``."""
    rng = np.random.default_rng(seed)
    return [
        tuple(rng.standard_normal(s).astype(np.float32) for s in slot.pickle_shapes())
        for slot in model.pickle_slots()
    ]


@pytest.mark.parametrize("arch", sorted(ARCH_INPUTS))
def test_load_arrays_converts_hwio_to_oihw(arch):
    model = _random_model(arch)
    arrays = _release_arrays(model)
    model.load_arrays(arrays)
    first_weight, first_bias = arrays[0]
    assert torch.equal(
        model.conv1.weight, torch.from_numpy(first_weight.transpose(3, 2, 0, 1).copy())
    )
    assert torch.equal(model.conv1.bias, torch.from_numpy(first_bias))
    assert torch.equal(
        model.cam_conv.weight[:, :, 0, 0], torch.from_numpy(arrays[-1][0][0, 0].T.copy())
    )


@pytest.mark.parametrize("arch", sorted(ARCH_INPUTS))
def test_load_arrays_rejects_wrong_count_and_shape(arch):
    model = _random_model(arch)
    arrays = _release_arrays(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(SpecError, match="entries"):
        model.load_arrays(arrays[:-1])
    bad = list(arrays)
    bad[-1] = (np.zeros((1, 1, 7, 10), np.float32),)
    with pytest.raises(SpecError, match=f"entry {len(arrays) - 1}"):
        model.load_arrays(bad)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# --- (c) the restricted unpickler -------------------------------------------------------------------


def _call_pickle(module: str, name: str, argument: str) -> bytes:
    """A protocol-0 pickle that calls ``module.name(argument)`` when loaded."""
    return f"c{module}\n{name}\n(V{argument}\ntR.".encode()


class _RunsShell:
    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def test_malicious_payload_is_live_under_plain_pickle(tmp_path):
    """Control: the payload below really runs a command when loaded without restriction."""
    sentinel = tmp_path / "control"
    pickle.loads(pickle.dumps(_RunsShell(f"touch {sentinel}")))
    assert sentinel.exists()


def test_refuses_os_system_without_running_it(tmp_path):
    sentinel = tmp_path / "pwned"
    weights = (np.zeros((1, 1, 4, 10), np.float32),)
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps([weights, _RunsShell(f"touch {sentinel}")], protocol=3))
    with pytest.raises(UnsafeCheckpointError) as excinfo:
        load_numpy_pickle(path)
    assert "system" in str(excinfo.value) and str(path) in str(excinfo.value)
    assert not sentinel.exists()


@pytest.mark.parametrize(
    ("module", "name", "kind"),
    [
        ("builtins", "eval", "python"),
        ("builtins", "exec", "python"),
        ("__builtin__", "eval", "python"),
        ("builtins", "getattr", "python"),
        ("os", "system", "shell"),
        ("subprocess", "getoutput", "shell"),
        ("numpy.testing._private.utils", "runstring", "python"),
        ("numpy", "load", "python"),
    ],
)
def test_refuses_every_other_global(tmp_path, module, name, kind):
    sentinel = tmp_path / "pwned"
    argument = f"open({str(sentinel)!r}, 'w')" if kind == "python" else f"touch {sentinel}"
    path = tmp_path / "evil.pkl"
    path.write_bytes(_call_pickle(module, name, argument))
    with pytest.raises(UnsafeCheckpointError, match=f"{module}.{name}"):
        load_numpy_pickle(path)
    assert not sentinel.exists()


@pytest.mark.parametrize("protocol", [3, 4])
def test_loads_a_plain_list_of_array_tuples(tmp_path, protocol):
    arrays = [
        (np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1), np.ones(1, np.float32)),
        (np.eye(2, dtype=np.float32),),
    ]
    path = tmp_path / "ok.pkl"
    path.write_bytes(pickle.dumps(arrays, protocol=protocol))
    loaded = load_numpy_pickle(path)
    assert len(loaded) == 2 and all(isinstance(e, tuple) for e in loaded)
    assert all(np.array_equal(a, b) for e, f in zip(arrays, loaded) for a, b in zip(e, f))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"w": 1}, "expected a list"),
        ([np.zeros(3, np.float32)], "entry 0 is a ndarray"),
        ([(np.zeros(3, np.float32), "bias")], "entry 0 item 1 is a str"),
        ([(np.array([None, 1], dtype=object),)], "numeric"),
        ([()], "non-empty"),
    ],
)
def test_rejects_what_is_not_a_list_of_array_tuples(tmp_path, payload, message):
    path = tmp_path / "odd.pkl"
    path.write_bytes(pickle.dumps(payload, protocol=3))
    with pytest.raises(SpecError, match=message):
        load_numpy_pickle(path)


def test_rejects_truncated_and_missing_files(tmp_path):
    path = tmp_path / "short.pkl"
    path.write_bytes(pickle.dumps([(np.zeros(4, np.float32),)], protocol=3)[:-5])
    with pytest.raises(SpecError, match="not a readable pickle"):
        load_numpy_pickle(path)
    with pytest.raises(MissingFileError):
        load_numpy_pickle(tmp_path / "absent.pkl")


# --- (d) the real released weights --------------------------------------------------------------


@pytest.fixture(scope="module")
def release_dir(shared_assets) -> Path:
    return shared_assets / "models" / "proper-interpretability"


@pytest.fixture(scope="module")
def cifar_first_500(shared_assets) -> tuple[torch.Tensor, torch.Tensor]:
    data = np.load(shared_assets / "data" / "cifar10_test_1000.npz")
    return torch.from_numpy(data["x"][:500]).float() / 255.0, torch.from_numpy(data["y"][:500])


@pytest.mark.assets
@pytest.mark.parametrize(
    ("name", "arch", "accuracy"),
    [
        ("cifar_smallgap_normal_200", "smallgap", 66.4),
        ("cifar_smallgap_adv_200", "smallgap", 55.2),
        ("cifar_wresnet_normal_200", "wresnet", 76.0),
        ("cifar_wresnet_adv_200", "wresnet", 75.4),
    ],
)
def test_released_weights_reach_the_checked_clean_accuracy(
    cifar_first_500, release_dir, name, arch, accuracy
):
    """ASSETS.md's clean accuracies on the first 500 CIFAR-10 test images, within 0.5 points."""
    x, y = cifar_first_500
    model = load_paper001(arch, release_dir / f"{name}.pkl", num_classes=10, in_channels=3)
    with torch.no_grad():
        measured = (model(x).argmax(dim=1) == y).double().mean().item() * 100
    assert abs(measured - accuracy) <= 0.5, (
        f"{name}: {measured:.1f}% clean, ASSETS.md says {accuracy}%"
    )


@pytest.mark.assets
def test_every_released_pickle_loads_into_its_architecture(release_dir):
    """All files of the release pass the restricted unpickler and the shape checks."""
    paths = sorted(release_dir.glob("*.pkl"))
    assert paths, "no .pkl files in models/proper-interpretability"
    for path in paths:
        dataset, arch = path.stem.split("_")[:2]
        model = load_paper001(
            arch, path, num_classes=10, in_channels=1 if dataset == "mnist" else 3
        )
        assert torch.isfinite(model.cam_conv.weight).all(), path.name
