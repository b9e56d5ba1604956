"""Every issue-15 benchmark in one run, and one markdown table of their ratios (the figures for README.md).

Runs, one after another in fresh processes (each prints JSON; each compares its sides' outputs
before reporting a ratio): the authors' workflow and the per-image reference against the batched
battery (``inequality_throughput.py``) on the ResNet-18 and a small net, the battery against its
compute floor with peak memory at n and 4n (``battery_floor.py``), AutoAttack through bench against
the library (``autoattack_overhead.py``) and Ray against one process (``ray_scaling.py``).
``--scale tiny`` checks that everything runs in a few minutes; ``--scale full`` is the measurement.

    BENCH_ASSETS=../shared OMP_NUM_THREADS=1 python benchmarks/scale_suite.py --scale full --out scale.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SIZES = {  # scale -> script -> arguments
    "tiny": {
        "authors_resnet18": [
            "inequality_throughput.py",
            "--model",
            "cifar10_resnet18_standard",
            "--n",
            "1",
            "--batch-size",
            "1",
            "--repeats",
            "1",
        ],
        "authors_small": [
            "inequality_throughput.py",
            "--model",
            "cifar_cnn_a_adv",
            "--n",
            "4",
            "--batch-size",
            "4",
            "--repeats",
            "1",
        ],
        "floor": [
            "battery_floor.py",
            "--model",
            "cifar_cnn_a_adv",
            "--n",
            "8",
            "--batch-size",
            "8",
            "--repeats",
            "1",
        ],
        "floor_resnet18": [
            "battery_floor.py",
            "--model",
            "cifar10_resnet18_standard",
            "--n",
            "2",
            "--batch-size",
            "2",
            "--repeats",
            "1",
            "--no-memory",
        ],
        "autoattack": [
            "autoattack_overhead.py",
            "--model",
            "cifar_cnn_a_adv",
            "--n",
            "4",
            "--repeats",
            "1",
        ],
        "ray": [
            "ray_scaling.py",
            "--model",
            "cifar_cnn_a_adv",
            "--units",
            "4",
            "--shard-size",
            "4",
            "--n-steps",
            "16",
        ],
    },
    "full": {
        "authors_resnet18": [
            "inequality_throughput.py",
            "--model",
            "cifar10_resnet18_standard",
            "--n",
            "8",
            "--batch-size",
            "8",
            "--repeats",
            "2",
        ],
        "authors_small": [
            "inequality_throughput.py",
            "--model",
            "cifar_cnn_a_adv",
            "--n",
            "64",
            "--batch-size",
            "64",
            "--repeats",
            "2",
        ],
        "floor": [
            "battery_floor.py",
            "--model",
            "cifar_cnn_a_adv",
            "--n",
            "64",
            "--batch-size",
            "64",
            "--repeats",
            "3",
        ],
        "floor_resnet18": [
            "battery_floor.py",
            "--model",
            "cifar10_resnet18_standard",
            "--n",
            "16",
            "--batch-size",
            "16",
            "--repeats",
            "2",
            "--no-memory",
        ],
        "autoattack": [
            "autoattack_overhead.py",
            "--model",
            "cifar_cnn_a_adv",
            "--n",
            "64",
            "--repeats",
            "2",
        ],
        "ray": [
            "ray_scaling.py",
            "--model",
            "cifar_cnn_a_adv",
            "--units",
            "4",
            "--shard-size",
            "250",
        ],
    },
}


def table(r: dict) -> str:
    """The ratios side by side, each with the check of its outputs."""
    a18, asm, fl, aa, ray = (
        r[k] for k in ("authors_resnet18", "authors_small", "floor", "autoattack", "ray")
    )
    f18 = r["floor_resnet18"]
    rows = [
        (
            "authors' workflow / battery, ResNet-18",
            f"{a18['speedup_vs_authors']:.2f}×",
            "≥ 7× (CPU)",
            f"{a18['decisions_different_authors']} decisions differ, {a18['attributions_per_image_authors']} IG/image",
        ),
        (
            "authors' workflow / battery, small net",
            f"{asm['speedup_vs_authors']:.2f}×",
            "≥ 7× (CPU)",
            f"{asm['decisions_different_authors']} decisions differ",
        ),
        (
            "per-image reference / battery, ResNet-18",
            f"{a18['speedup_vs_per_image']:.2f}×",
            "",
            f"{a18['decisions_different_per_image']} decisions differ",
        ),
        (
            "battery / compute floor, ResNet-18",
            f"{f18['ratio_battery_over_floor']:.2f}×",
            "≤ 1.25× (CPU)",
            f"{f18['outcomes_different']} outcomes differ (hooked vs plain)",
        ),
        (
            "battery / compute floor, small net",
            f"{fl['ratio_battery_over_floor']:.2f}×",
            "≤ 1.25× (CPU)",
            f"{fl['outcomes_different']} outcomes differ (hooked vs plain)",
        ),
        (
            "AutoAttack via bench / library",
            f"{aa['ratio_bench_over_library']:.3f}×",
            "≤ 1.05×",
            f"{aa['robust_flags_different']} of {aa['images_compared']} robust flags differ",
        ),
        (
            "1 process / Ray 2×1 (warm)",
            f"{ray['speedup_warm']:.2f}×",
            "≥ 1.8×",
            f"results equal: {ray['results_equal']}",
        ),
        ("Ray overhead per unit", f"{ray['ray_overhead_per_unit_s']:.2f} s", "", ""),
        (
            "peak RSS n / 4n",
            " / ".join(f"{fl[k]:.0f}" for k in fl if k.startswith("max_rss")) + " MB",
            "flat",
            "",
        ),
    ]
    lines = ["| measure | measured | goal | outputs |", "|---|---|---|---|"]
    return "\n".join(lines + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=sorted(SIZES), default="tiny")
    p.add_argument("--out", type=Path, help="also write every script's JSON here")
    args = p.parse_args()
    results = {}
    for name, argv in SIZES[args.scale].items():
        done = subprocess.run(
            [sys.executable, str(HERE / argv[0]), *argv[1:]],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
        results[name] = json.loads(done.stdout)
        print(f"{name}: done", file=sys.stderr)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
