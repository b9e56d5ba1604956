"""The torch-free parameter schemas (bench.params) and the typed protocol built from them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.errors import UnknownNameError
from bench.params import METRIC_PARAMS
from bench.protocols import Protocol, get_protocol

ROOT = Path(__file__).resolve().parents[1]


def test_every_metric_has_its_schema_registered_torch_free():
    from bench.metrics import METRICS

    assert METRICS.names() == METRIC_PARAMS.names()
    for name in METRICS:
        assert METRICS.get(name).params_schema is METRIC_PARAMS.get(name), name


def test_protocols_and_params_import_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import bench.params, bench.protocols\n"
        "p = bench.protocols.get_protocol('cifar10-battery-linf').resolve('cifar10')\n"
        "print(type(p.params('inequality')).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "InequalityParams"


def test_a_resolved_protocol_holds_validated_parameter_models():
    protocol = get_protocol("cifar10-battery-linf").resolve("cifar10", n_examples=8)
    inequality = protocol.params("inequality")
    assert inequality.occlusion is not None
    assert inequality == METRIC_PARAMS.get("inequality").model_validate(
        protocol.metrics["inequality"]
    )
    with pytest.raises(UnknownNameError, match=r"runs no metric 'isa'\."):
        protocol.params("isa")


def test_every_committed_result_protocol_validates_to_its_recorded_digest():
    files = sorted((ROOT / "leaderboards" / "results").glob("*/*.json"))
    files += sorted((ROOT / "docs" / "experiments" / "results").rglob("*.json"))
    checked = 0
    for path in files:
        data = json.loads(path.read_text())
        if "protocol" not in data:
            continue
        protocol = Protocol.model_validate(data["protocol"])
        assert protocol.digest() == data["protocol_digest"], path
        checked += 1
    assert checked > 100


def test_a_result_gives_its_protocol_typed():
    from bench.results.store import read_result

    path = next((ROOT / "leaderboards" / "results").glob("*/cifar10-battery-linf.json"))
    result = read_result(path)
    protocol = result.resolved_protocol()
    assert protocol.digest() == result.protocol_digest
    assert protocol.params("inequality").region_size == result.protocol["metrics"][
        "inequality"
    ].get("region_size", 4)


def test_a_result_whose_recorded_parameters_no_longer_validate_still_renders(tmp_path):
    from bench.leaderboard.figures_inequality import occlusion_curves
    from bench.results.store import read_result

    path = next((ROOT / "leaderboards" / "results").glob("*/cifar10-inequality-code.json"))
    result = read_result(path)
    assert result.recorded_params("inequality").occlusion.loop == "radius_outer"
    assert occlusion_curves(result)
    stale = result.model_copy(deep=True)
    stale.protocol["metrics"]["inequality"]["occlusion"]["renamed_field"] = 1
    with pytest.warns(UserWarning, match="recorded inequality parameters do not validate today"):
        assert occlusion_curves(stale) == {}
    assert result.recorded_params("isa") is None


def test_a_protocol_file_reports_each_parameter_problem_at_its_line(tmp_path):
    from bench.errors import SpecError
    from bench.protocols import read_protocol

    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: mine\nversion: 1\ndescription: d\nmetrics:\n"
        "  inequality:\n    region_size: 0\n    noise: {k: [5], bogus: 1}\n  nonexistent: {}\n"
    )
    with pytest.raises(SpecError) as info:
        read_protocol(path)
    message = str(info.value)
    assert (
        "line 6: metrics.inequality.region_size: Input should be greater than or equal to 1"
        in message
    )
    assert "line 7: metrics.inequality.noise.bogus: unknown key" in message
    assert "line 8: metrics.nonexistent: Value error, unknown metric 'nonexistent'" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (".inf", "metrics.pgd_grid.eps.0: Input should be a finite number"),
        (".nan", "metrics.pgd_grid.eps.0: Input should be a finite number"),
        ("2020-01-01", "metrics.pgd_grid.eps.0: Input should be a valid number"),
    ],
)
def test_a_hostile_parameter_value_is_a_located_error_not_a_crash(tmp_path, value, expected):
    from bench.errors import SpecError
    from bench.protocols import read_protocol

    path = tmp_path / "mine.yaml"
    path.write_text(
        f"name: mine\nversion: 1\ndescription: d\nmetrics:\n  pgd_grid: {{eps: [{value}], steps: [1]}}\n"
    )
    with pytest.raises(SpecError, match="line 5: " + expected.replace(".", r"\.")):
        read_protocol(path)
