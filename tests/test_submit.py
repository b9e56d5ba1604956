"""`bench submit`: a valid entry is evaluated and published; broken ones write nothing."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from bench.cli.main import main

VALID = """\
id: my_cnn_a
dataset: cifar10
num_classes: 10
description: A user's copy of the alpha-beta-CROWN cnn_a (PGD-AT 2/255), submitted by path.
training: {method: pgd_at, threat_model: Linf, eps: 2/255}
architecture: {name: cnn_a}
source: {loader: user_checkpoint, path: "{path}", sha256: "{sha}"}
preprocessing:
  input_size: [3, 32, 32]
  normalization:
    mean: [0.491373, 0.482353, 0.446667]
    std: [0.247059, 0.243529, 0.261569]
"""

BASE = VALID.replace('path: "{path}", sha256: "{sha}"', "path: /nonexistent.pt")

# (name, YAML text, a fragment the error message must contain)
BROKEN = [
    ("not_yaml", "id: x\n  dataset: [cifar10\n", "line"),
    ("empty", "", "one YAML mapping"),
    ("a_list", "- id: x\n", "one YAML mapping"),
    ("missing_id", BASE.replace("id: my_cnn_a\n", ""), "id: Field required"),
    ("unsafe_id", BASE.replace("id: my_cnn_a", "id: ../evil"), "id: String should match pattern"),
    ("unknown_key", BASE + "favourite_colour: blue\n", "favourite_colour: unknown key"),
    (
        "unknown_loader",
        BASE.replace("loader: user_checkpoint", "loader: exec_python"),
        "does not match any of the expected tags",
    ),
    (
        "loader_field_missing",
        BASE.replace("path: /nonexistent.pt", "sha256: null"),
        "give exactly one of 'path' and 'url'",
    ),
    (
        "unknown_architecture",
        BASE.replace("name: cnn_a", "name: resnet999"),
        "unknown architecture 'resnet999'",
    ),
    ("linf_without_eps", BASE.replace(", eps: 2/255", ""), "threat_model Linf needs eps"),
    (
        "bad_sha256",
        BASE.replace("path: /nonexistent.pt", "path: /x.pt, sha256: not-a-hash"),
        "source.sha256",
    ),
    (
        "unknown_dataset",
        BASE.replace("dataset: cifar10", "dataset: svhn"),
        "dataset: Input should be",
    ),
    (
        "python_tag",
        BASE.replace(
            "description: A", "description: !!python/object/apply:os.system ['true']\nx: A"
        ),
        "line",
    ),
    (
        "url_without_pin",
        BASE.replace("path: /nonexistent.pt", "url: 'http://127.0.0.1:9/x.pt'"),
        "must pin its sha256",
    ),
    (
        "normalization_mismatch",
        BASE.replace("std: [0.247059, 0.243529, 0.261569]", "std: [0.25]"),
        "same number of channels",
    ),
    ("id_taken", BASE.replace("id: my_cnn_a", "id: cifar_cnn_a_adv"), "already registered"),
    ("missing_checkpoint", BASE, "place it at"),
]


def _submit(tmp_path: Path, text: str, *extra: str) -> tuple[int, Path, Path]:
    spec = tmp_path / "entry.yaml"
    spec.write_text(text)
    results, boards = tmp_path / "out" / "results", tmp_path / "out"
    code = main(
        [
            "submit",
            str(spec),
            "--protocol",
            "cifar10-default",
            "--n-examples",
            "20",
            "--results",
            str(results),
            "--leaderboards",
            str(boards),
            "--no-progress",
            *extra,
        ]
    )
    return code, results, boards


@pytest.mark.parametrize("name,text,fragment", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_submission_fails_clearly_and_writes_nothing(tmp_path, capsys, name, text, fragment):
    code, _, boards = _submit(tmp_path, text)
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in " ".join(err.split()), err
    assert "Traceback" not in err
    assert not boards.exists()


def test_valid_submission_writes_result_and_pages(shared_assets, tmp_path, capsys):
    ckpt = tmp_path / "my_cnn_a.pth"
    shutil.copy(shared_assets / "models/alpha-beta-crown/cifar_cnn_a_adv.pth", ckpt)
    sha = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    code, results, boards = _submit(
        tmp_path, VALID.replace("{path}", str(ckpt)).replace("{sha}", sha)
    )
    assert code == 0, capsys.readouterr().err
    assert (results / "my_cnn_a" / "cifar10-default.json").is_file()
    page = (boards / "models" / "my_cnn_a.md").read_text()
    assert "my_cnn_a" in page and "Clean (%)" in page
    assert "my_cnn_a" in (boards / "cifar10-Linf.md").read_text()


def test_checksum_mismatch_is_a_clear_error(shared_assets, tmp_path, capsys):
    ckpt = tmp_path / "my_cnn_a.pth"
    shutil.copy(shared_assets / "models/alpha-beta-crown/cifar_cnn_a_adv.pth", ckpt)
    code, _, boards = _submit(
        tmp_path, VALID.replace("{path}", str(ckpt)).replace("{sha}", "0" * 64)
    )
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "0" * 64 in err and "Traceback" not in err
    assert not boards.exists()
