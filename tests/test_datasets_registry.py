"""The data-set registry: one table that protocols, the zoo and the boards look up."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

from bench.datasets import DATASETS, default_eps
from bench.zoo.schema import Dataset


def test_every_schema_data_set_has_a_registry_entry_and_nothing_else():
    assert set(DATASETS) == set(get_args(Dataset))


def test_robustbench_defaults_and_paper_001_mnist():
    assert default_eps("cifar10", "Linf") == 8 / 255 and default_eps("cifar10", "L2") == 0.5
    assert default_eps("imagenet", "Linf") == 4 / 255 and default_eps("mnist", "Linf") == 0.3
    assert default_eps("imagenet", "L2") is None and default_eps("npz:x.npz", "Linf") is None


def test_eps_is_written_as_people_write_it():
    assert DATASETS["cifar10"].format_eps(8 / 255) == "8/255" and DATASETS["mnist"].format_eps(0.3) == "0.3"


def test_every_entry_with_class_names_names_every_class():
    assert all(len(d.class_names) in (0, d.num_classes) for d in DATASETS.values())


def test_the_registry_imports_no_torch():
    code = "import sys; sys.modules['torch'] = None; import bench.datasets"
    subprocess.run([sys.executable, "-c", code], check=True)
