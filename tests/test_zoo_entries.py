"""Contract tests over every registry entry, and ASSETS.md clean accuracies for shared-asset models."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.battery import run_battery
from bench.protocols import get_protocol
from bench.zoo.architectures import ARCHITECTURES, build_architecture
from bench.zoo.catalog import Zoo
from bench.zoo.loaders import LOADERS
from bench.zoo.sources import LOADERS_NEEDING_ARCHITECTURE, SOURCE_KINDS

ZOO = Zoo.load()

# Clean accuracy measured and published in ../shared/ASSETS.md: (model id, protocol, n, accuracy).
ASSETS_FIGURES = [
    ("cifar10_resnet18_standard", "cifar10-default", 1000, 0.937),
    ("cifar_smallgap_normal", "cifar10-default", 500, 0.664),
    ("cifar_smallgap_adv", "cifar10-default", 500, 0.552),
    ("cifar_wresnet_normal", "cifar10-default", 500, 0.760),
    ("cifar_wresnet_adv", "cifar10-default", 500, 0.754),
    ("cifar_cnn_a_adv", "cifar10-default", 1000, 0.664),
    ("cifar_cnn_a_adv4", "cifar10-default", 1000, 0.574),
    ("cifar_cnn_a_mix", "cifar10-default", 1000, 0.760),
    ("cifar_cnn_a_mix4", "cifar10-default", 1000, 0.693),
    ("cifar_cnn_a_oval_wide", "cifar10-default", 1000, 0.636),
    ("cifar_cnn_a_small_8px", "cifar10-default", 1000, 0.312),
    ("cifar_captum_net", "cifar10-default", 1000, 0.590),
    ("mnist_lenet5_standard", "mnist-default", 1000, 0.984),
    ("mnist_lenet5_pgd_at", "mnist-default", 1000, 0.982),
]


def test_every_source_kind_has_a_registered_loader():
    assert sorted(SOURCE_KINDS) == LOADERS.names()


def test_zoo_covers_the_published_grids():
    ids = set(ZOO.ids())
    for arch in ("resnet18", "resnet50", "wide_resnet50_2"):
        assert {f"{arch}_linf_eps{e}" for e in ("0.5", "1", "2", "4", "8")} <= ids
        assert {
            f"{arch}_l2_eps{e}"
            for e in ("0", "0.01", "0.03", "0.05", "0.1", "0.25", "0.5", "1", "3", "5")
        } <= ids
    for arch in ("smallgap", "wresnet"):
        assert {f"cifar_{arch}_{m}" for m in ("normal", "adv", "trades", "int", "int2")} <= ids
    assert {
        "cifar_smallgap_adv_6",
        "cifar_smallgap_adv_8",
        "cifar_smallgap_adv_10",
        "mnist_smallgap_normal",
        "mnist_smallgap_adv",
    } <= ids


@pytest.mark.parametrize("model_id", ZOO.ids())
def test_entry_architecture_builds_for_its_input(model_id):
    """Each entry names a registered architecture (when its loader needs one) that accepts its input size."""
    import torch

    entry = ZOO.get(model_id)
    assert (entry.architecture is not None) == (entry.source.loader in LOADERS_NEEDING_ARCHITECTURE)
    if entry.architecture is None or entry.dataset == "imagenet":
        return  # ImageNet nets are exercised once in test_robust_models_transfer.py
    assert entry.architecture.name in ARCHITECTURES
    net = build_architecture(
        entry.architecture.name, entry.num_classes, dict(entry.architecture.params)
    )
    with torch.no_grad():
        out = net(torch.zeros(2, *entry.preprocessing.input_size))
    assert out.shape == (2, entry.num_classes)


@pytest.mark.parametrize(
    "model_id,protocol,n,expected", ASSETS_FIGURES, ids=[f[0] for f in ASSETS_FIGURES]
)
def test_clean_accuracy_matches_assets_md(
    shared_assets, tmp_path: Path, model_id, protocol, n, expected
):
    entry = ZOO.get(model_id)
    resolved = get_protocol(protocol).resolve(entry.dataset, n_examples=n)
    result = run_battery(entry, resolved, results_dir=tmp_path, batch_size=500, device="cpu")
    assert result.metrics["clean_accuracy"] == pytest.approx(expected, abs=0.005)
    assert result.provenance.sample_ids == [str(i) for i in range(n)]


def _digits_entry(tmp_path: Path, reported: float):
    """A seeded untrained digits_gap net saved as a user checkpoint, claiming ``reported`` clean accuracy."""
    import torch

    from bench.zoo.schema import ModelEntry

    torch.manual_seed(0)
    path = tmp_path / "digits.pt"
    torch.save(build_architecture("digits_gap", 10, {}).state_dict(), path)
    return ModelEntry.model_validate(
        {
            "id": "digits_reported_test",
            "dataset": "digits",
            "num_classes": 10,
            "training": {"method": "standard"},
            "architecture": {"name": "digits_gap"},
            "source": {"loader": "user_checkpoint", "path": str(path)},
            "preprocessing": {"input_size": [1, 8, 8]},
            "reported": {"clean_accuracy": reported},
        }
    )


def _clean_only(n: int | None):
    from bench.protocols import Protocol

    return Protocol.model_validate(
        {
            "name": "digits-clean-test",
            "version": 1,
            "description": "clean accuracy",
            "dataset": "digits",
            "selection": {"strategy": "first", "n": n},
            "metrics": {"clean_accuracy": {}},
        }
    ).resolve("digits")


def test_full_set_clean_accuracy_far_from_the_reported_figure_warns_with_both(tmp_path: Path):
    """The tiny case: the whole 500-image digits test set, an untrained net, a claimed 0.99."""
    from bench.zoo.reported import ReportedAccuracyWarning

    entry = _digits_entry(tmp_path, reported=0.99)
    with pytest.warns(ReportedAccuracyWarning) as caught:
        result = run_battery(entry, _clean_only(None), results_dir=tmp_path / "r", device="cpu")
    measured = result.metrics["clean_accuracy"]
    assert len(result.provenance.sample_ids) == 500 and abs(measured - 0.99) > 0.01
    message = str(caught[0].message)
    assert f"{measured:.4f}" in message and "0.9900" in message and "500 images" in message


def test_a_subset_or_an_agreeing_figure_is_not_checked(tmp_path: Path, recwarn):
    from bench.zoo.reported import (
        ReportedAccuracyError,
        check_reported_accuracy,
        reported_accuracy_gap,
    )

    entry = _digits_entry(tmp_path, reported=0.99)
    run_battery(
        entry, _clean_only(100), results_dir=tmp_path / "r", device="cpu"
    )  # 100 of 500: no comparison
    assert not [w for w in recwarn if "authors report" in str(w.message)]
    assert reported_accuracy_gap(entry, 0.985, 500, 500) is None  # within the tolerance
    assert reported_accuracy_gap(entry, 0.5, 499, 500) is None
    with pytest.raises(ReportedAccuracyError, match="0.5000.*0.9900"):
        check_reported_accuracy(entry, 0.5, 500, 500, strict=True)


VERBOSE = """schema_version: 1
models:
- id: net_l2_eps1
  dataset: cifar10
  num_classes: 10
  description: net at 1
  training: {method: pgd_at, threat_model: L2, eps: 1}
  architecture: {name: cnn_a}
  source: {loader: shared_asset, asset: models/x/net_l2_eps1.pt}
  preprocessing: {input_size: [3, 32, 32]}
  reported: {clean_accuracy: 0.5}
- id: net_linf_eps8
  dataset: cifar10
  num_classes: 10
  description: net at 8/255
  training: {method: pgd_at, threat_model: Linf, eps: 8/255}
  architecture: {name: cnn_a}
  source: {loader: shared_asset, asset: models/x/net_linf_eps8.pt, sha256: %s}
  preprocessing: {input_size: [3, 32, 32]}
""" % ("ab" * 32)

COMPACT = """schema_version: 1
models: []
families:
- family: nets
  entry:
    dataset: cifar10
    num_classes: 10
    architecture: {name: cnn_a}
    preprocessing: {input_size: [3, 32, 32]}
  grids:
  - axes:
      threat: [{key: l2, name: L2, eps: '1', written: '1'}, {key: linf, name: Linf, eps: '8', written: 8/255}]
    entry:
      id: 'net_{threat}_eps{threat.eps}'
      description: 'net at {threat.written}'
      training: {method: pgd_at, threat_model: '{threat.name}', eps: '{threat.written}'}
      source: {loader: shared_asset, asset: 'models/x/net_{threat}_eps{threat.eps}.pt'}
  files_key: source.asset
  files:
    models/x/net_l2_eps1.pt: {clean_accuracy: 0.5}
    models/x/net_linf_eps8.pt: {sha256: %s}
""" % ("ab" * 32)


HUNDREDS = ", ".join(map(str, range(200)))  # two such axes: 40000 members


def _zoo_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "zoo.yaml"
    path.write_text(text)
    return path


def test_a_family_expands_to_the_same_validated_entries_as_the_verbose_form(tmp_path):
    """Issue 16: the compact form is only a way of writing; the entries are identical."""
    from bench.zoo.catalog import read_zoo

    (tmp_path / "verbose").mkdir()
    verbose = read_zoo(_zoo_file(tmp_path / "verbose", VERBOSE))
    compact = read_zoo(_zoo_file(tmp_path, COMPACT))
    assert list(compact) == list(verbose) == ["net_l2_eps1", "net_linf_eps8"]
    assert compact == verbose


def test_the_shared_zoo_family_holds_every_published_checkpoint():
    rmt = {
        e.source.file: e
        for e in ZOO.entries.values()
        if e.source.loader == "robust_models_transfer"
    }
    for arch in ("densenet", "mnasnet", "mobilenet", "resnext50_32x4d", "shufflenet", "vgg16_bn"):
        assert {f"{arch}_l2_eps0.ckpt", f"{arch}_l2_eps3.ckpt"} <= set(rmt)
        assert rmt[f"{arch}_l2_eps3.ckpt"].source.classifier_prefix == "module.model.model."
    assert {
        "resnet18_linf_eps0.ckpt",
        "resnet50_linf_eps0.ckpt",
        "resnet50_linf_eps8.0.ckpt",
    } <= set(rmt)
    assert all(
        e.source.revision == "1c68d6e185c2a503ec164cc8f736b1642b12d769" for e in rmt.values()
    )
    assert rmt["resnet50_linf_eps8.0.ckpt"].reported == {"clean_accuracy": 0.5453}  # README: 54.53


@pytest.mark.parametrize(
    "edit,message",
    [
        (
            lambda t: t.replace("'net_{threat}_eps{threat.eps}'", "'net_{threat}_eps{size}'"),
            "names no axis",
        ),
        (
            lambda t: t.replace("'net at {threat.written}'", "'net at {threat.__class__}'"),
            "has no field '__class__'",
        ),
        (
            lambda t: t.replace("    models/x/net_l2_eps1.pt: {clean_accuracy: 0.5}\n", ""),
            "has no row in 'files'",
        ),
        (lambda t: t + "    other.pt: {clean_accuracy: 0.5}\n", "belong to no member"),
        (
            lambda t: t.replace(
                "models: []\n", VERBOSE.split("\n- id: net_linf_eps8")[0].split("\n", 1)[1] + "\n"
            ),
            "already registered",
        ),
        (
            lambda t: t.replace("clean_accuracy: 0.5}", "clean_accuracy: 50}"),
            "less than or equal to 1",
        ),
        (
            lambda t: t.replace(
                "    entry:\n      id:",
                f"      a: [{HUNDREDS}]\n      b: [{HUNDREDS}]\n    entry:\n      id:",
            ),
            "at most 10000",
        ),
    ],
)
def test_family_mistakes_are_spec_errors(tmp_path, edit, message):
    from bench.errors import SpecError
    from bench.zoo.catalog import read_zoo

    with pytest.raises(SpecError, match=message):
        read_zoo(_zoo_file(tmp_path, edit(COMPACT)))
