"""The data-set registry: one table that protocols, the zoo and the boards look up."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

from bench.datasets import DATASETS, default_eps
from bench.zoo.schema import Dataset


def test_the_entry_schema_accepts_exactly_the_registry_s_data_sets():
    assert get_args(Dataset) == tuple(DATASETS)


def test_robustbench_defaults_and_paper_001_mnist():
    assert default_eps("cifar10", "Linf") == 8 / 255 and default_eps("cifar10", "L2") == 0.5
    assert default_eps("imagenet", "Linf") == 4 / 255 and default_eps("mnist", "Linf") == 0.3
    assert default_eps("imagenet", "L2") is None and default_eps("npz:x.npz", "Linf") is None


def test_eps_is_written_as_people_write_it():
    assert (
        DATASETS["cifar10"].format_eps(8 / 255) == "8/255"
        and DATASETS["mnist"].format_eps(0.3) == "0.3"
    )


def test_every_entry_with_class_names_names_every_class():
    assert all(len(d.class_names) in (0, d.num_classes) for d in DATASETS.values())


def test_the_registry_imports_no_torch():
    code = "import sys; sys.modules['torch'] = None; import bench.datasets"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_registered_data_set_has_a_test_set_opener():
    from bench.data.testsets import OPENERS

    assert set(OPENERS.names()) == set(DATASETS)


def test_an_unknown_data_set_is_a_clear_error_naming_the_known_ones():
    import pytest

    from bench.data import open_testset
    from bench.errors import SpecError

    with pytest.raises(SpecError, match="Unknown data set 'cifar11'.*cifar10.*npz:PATH"):
        open_testset("cifar11")


def test_every_training_set_has_an_opener_and_an_evaluation_set_in_the_registry():
    from bench.data.training import EVALUATION_SET, TRAINING_OPENERS, TRAINING_SETS

    assert set(TRAINING_OPENERS.names()) == set(TRAINING_SETS) == set(EVALUATION_SET)
    assert set(EVALUATION_SET.values()) <= set(DATASETS)
