"""Gini against robust accuracy for the training sweep (docs/training.md): does Int/Int2 show less
inequality than PGD-AT at equal robust accuracy?

Usage: python docs/tools/training_sweep_plot.py [RESULTS_DIR]   (default docs/results/training-sweep)
Writes docs/results/training-sweep-gini-vs-robust.png and prints the points as a markdown table.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.results import read_results

ROBUST = "pgd20_acc@8/255"


def main(results_dir: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = [
        r for r in read_results(results_dir) if r.protocol["name"] == "cifar10-training-study"
    ]
    points = sorted(
        (
            (
                r.model.training.method,
                r.model.training.eps or 0.0,
                r.metrics[ROBUST],
                r.metrics["gini_global"],
                r.metrics["gini_regional"],
                r.metrics["clean_accuracy"],
                r.model.id,
            )
            for r in results
        ),
        key=lambda p: (p[0], p[1]),
    )
    fig, ax = plt.subplots(figsize=(5, 3.6), dpi=100)
    for method in sorted({p[0] for p in points}):
        mine = [p for p in points if p[0] == method]
        ax.plot([100 * p[2] for p in mine], [p[3] for p in mine], marker="o", label=method)
        for p in mine:
            ax.annotate(f"{p[1] * 255:g}/255" if p[1] else "0", (100 * p[2], p[3]), fontsize=7)
    ax.set_xlabel("PGD-20 accuracy at 8/255 (%)")
    ax.set_ylabel("Gini-g (code protocol)")
    ax.set_title("smallgap on the shared 5000 CIFAR-10 images", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path("docs/results/training-sweep-gini-vs-robust.png")
    fig.savefig(out, metadata={"Software": None})
    rows = [
        "| model | method | training ε | clean (%) | PGD-20 @ 8/255 (%) | Gini-g | Gini-r |",
        "|---|---|---|---|---|---|---|",
    ]
    rows += [
        f"| {p[6]} | {p[0]} | {p[1] * 255:g}/255 | {100 * p[5]:.1f} | {100 * p[2]:.1f} | {p[3]:.3f} | {p[4]:.3f} |"
        for p in points
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/results/training-sweep")))
