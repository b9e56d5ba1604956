"""Generated tables in docs/results/ are what their generators make of the committed result files.

A change to a result file, or to code that changes a number, fails here until the table is
regenerated, so prose that cites a generated table never cites a stale one.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "leaderboards" / "results"


def _generator(name: str) -> dict:
    return runpy.run_path(str(ROOT / "docs" / "tools" / name), run_name="generator")


def test_interpretation_tables_regenerate_byte_for_byte():
    made = _generator("interpretation_paper001_tables.py")["main"](RESULTS)
    assert made == (ROOT / "docs" / "results" / "interpretation-paper001.md").read_text()


def test_pgd_tables_regenerate_byte_for_byte():
    made = _generator("pgd_paper001_table.py")["main"](RESULTS)
    committed = (ROOT / "docs" / "results" / "pgd-paper001.md").read_text()
    mark, body = committed.split("\n", 1)
    assert "Generated" in mark and made == body


def test_training_comparison_summary_regenerates_byte_for_byte(tmp_path):
    out = tmp_path / "seeds.md"
    subprocess.run(
        [
            sys.executable,
            "docs/tools/training_compare_summary.py",
            "docs/results/training-compare",
            "--protocol",
            "cifar10-training-compare",
            "--tag",
            "tc",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert out.read_text() == (ROOT / "docs" / "results" / "training-compare-seeds.md").read_text()
