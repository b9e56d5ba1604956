"""The torch-free architecture table agrees with the registered builders, and the zoo reads without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.errors import SpecError
from bench.zoo.architecture_specs import ARCHITECTURE_SPECS, check_params
from bench.zoo.architectures import ARCHITECTURES
from bench.zoo.architectures.registry import keyword_params

ROOT = Path(__file__).resolve().parents[1]


def test_every_builder_is_in_the_table_with_its_module_and_keywords():
    assert ARCHITECTURES.names() == ARCHITECTURE_SPECS.names()
    for name in ARCHITECTURES:
        builder, spec = ARCHITECTURES.get(name), ARCHITECTURE_SPECS.get(name)
        assert builder.__module__ == spec.module, name
        taken = keyword_params(builder)
        expected = None if taken is None else frozenset(taken - {"num_classes"})
        assert spec.keywords == expected, name


def test_parameters_are_checked_from_the_table():
    check_params("cnn_a", {"width": 2})
    with pytest.raises(SpecError, match="takes no parameter depth; it takes: in_channels, width"):
        check_params("cnn_a", {"depth": 3})
    with pytest.raises(SpecError, match="out of range"):
        check_params("digits_gap", {"width": 10**6})


@pytest.mark.parametrize("command", ["list", "show cifar_smallgap_adv", "validate model_zoo.yaml"])
def test_reading_the_zoo_imports_no_torch(command):
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from bench.cli.main import main\n"
        f"sys.exit(main({command.split()!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr


def test_a_builder_without_its_table_row_is_refused_when_registered():
    from bench.registry import Registry, check_agree

    code, data = Registry("architecture"), Registry("architecture")
    code.register("new_net")(object())
    with pytest.raises(RuntimeError, match=r"registered but not in table.py: \['new_net'\]"):
        check_agree(code, data, "table.py")
