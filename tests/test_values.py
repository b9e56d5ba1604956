"""Value records: identity, direction and 95% intervals (issue 12), and the version-1 → 2 migration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import beta

from bench.results.values import Value, bootstrap_interval, mean, proportion_interval, share

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "leaderboards" / "results"


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (57, 100), (1, 1000)])
def test_proportion_interval_is_clopper_pearson(k, n):
    """The exact interval, written out: Beta(α/2; k, n−k+1) and Beta(1−α/2; k+1, n−k)."""
    low = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    high = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    assert proportion_interval(k, n) == pytest.approx((low, high), abs=1e-9)


def test_bootstrap_interval_is_seeded_and_covers_the_mean():
    x = np.random.default_rng(1).normal(0.5, 0.1, size=200)
    a, b = bootstrap_interval(x), bootstrap_interval(x)
    assert a == b and a[0] < x.mean() < a[1]
    assert a[1] - a[0] == pytest.approx(2 * 1.96 * x.std() / np.sqrt(len(x)), rel=0.2)
    assert bootstrap_interval([0.3]) == (None, None) and bootstrap_interval([0.2, 0.2, None]) == (
        0.2,
        0.2,
    )


def test_share_and_mean_records_carry_identity_direction_and_n():
    v = share(
        "pgd10_acc@8/255",
        "pgd_grid",
        "accuracy",
        [1, 0, 1, 1],
        higher_is_better=True,
        eps=8 / 255,
        steps=10,
    )
    assert (v.value, v.n, v.unit, v.ci_method) == (0.75, 4, "share", "clopper-pearson")
    assert v.matches("pgd_grid", "accuracy", eps=8 / 255) and not v.matches("pgd_grid", steps=50)
    m = mean(
        "gini_global",
        "inequality",
        "gini_global",
        [0.5, None, 0.7, float("nan")],
        higher_is_better=False,
    )
    assert (m.value, m.n, m.unit, m.higher_is_better) == (pytest.approx(0.6), 2, "score", False)
    assert share("x", "m", "q", [], higher_is_better=True).value is None


def test_version_1_files_load_and_upgrade_to_the_same_numbers(tmp_path):
    """A version-1 file (a committed one, rewritten as version 1) reads as records with the same values."""
    from bench.results import read_result

    source = next(COMMITTED.glob("cifar_smallgap_adv/cifar10-battery-linf.json"), None) or next(
        COMMITTED.glob("*/*.json")
    )
    v2 = read_result(source)
    v1 = json.loads(source.read_text())
    v1 |= {
        "schema_version": 1,
        "metrics": {v.name: v.value for v in v2.values},
        "produced_by": {v.name: v.metric for v in v2.values},
    }
    del v1["values"]
    path = tmp_path / v2.model.id / source.name
    path.parent.mkdir()
    path.write_text(json.dumps(v1))
    upgraded = read_result(path)
    assert upgraded.schema_version == 2 and upgraded.metrics == pytest.approx(
        v2.metrics, nan_ok=True
    )
    assert upgraded.values == v2.values


def test_migrate_command_rewrites_version_1_files(tmp_path, capsys):
    from bench.cli.main import main
    from bench.results import read_result

    source = next(COMMITTED.glob("*/*.json"))
    r = read_result(source)
    v1 = json.loads(source.read_text())
    v1 |= {"schema_version": 1, "metrics": r.metrics, "produced_by": r.produced_by}
    del v1["values"]
    path = tmp_path / r.model.id / source.name
    path.parent.mkdir()
    path.write_text(json.dumps(v1))
    assert main(["migrate", "--results", str(tmp_path), "--check"]) == 1
    assert main(["migrate", "--results", str(tmp_path)]) == 0
    assert json.loads(path.read_text())["schema_version"] == 2
    assert main(["migrate", "--results", str(tmp_path), "--check"]) == 0


def test_every_committed_result_is_version_2():
    paths = [p for p in COMMITTED.glob("*/*.json") if not p.name.endswith(".partial.json")]
    old = [str(p) for p in paths if json.loads(p.read_text()).get("schema_version") != 2]
    assert paths and not old


def test_no_value_identity_is_parsed_from_a_name():
    """No module of bench reads a value's identity back out of its name (issue 12, point 3)."""
    offenders = []
    for path in (ROOT / "bench").rglob("*.py"):
        text = path.read_text()
        for pattern in (
            r"pgd(\d+)_acc@",
            r"_err@(\d+)",
            "split('@')",
            'split("@")',
            "name.split(",
            "k[3:",
        ):
            if pattern in text:
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_the_leaderboard_imports_without_torch():
    code = "import sys; sys.modules['torch'] = None; import bench.leaderboard, bench.leaderboard.tables"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_value_is_strict():
    with pytest.raises(ValueError):
        Value(
            name="x",
            metric="m",
            quantity="q",
            unit="percent",
            higher_is_better=True,
            n=1,
            value=0.1,
        )
