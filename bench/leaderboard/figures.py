"""Figures for model pages (matplotlib, PNG bytes; the CLI writes them)."""

from __future__ import annotations

import io
import re

from bench.results import Result
from bench.spec import parse_eps

PGD_VALUE = re.compile(r"^pgd(\d+)_acc@(.+)$")


def accuracy_vs_eps_png(result: Result) -> bytes:
    """PGD accuracy against ε, one line per step count (paper 001, Table 1 as a curve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves: dict[int, list[tuple[float, float]]] = {}
    for name, value in result.metrics.items():
        match = PGD_VALUE.match(name)
        if match:
            curves.setdefault(int(match.group(1)), []).append((float(parse_eps(match.group(2))), value))
    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
    scale = 255 if result.model.dataset != "mnist" else 1
    for steps in sorted(curves):
        points = sorted(curves[steps])
        ax.plot([e * scale for e, _ in points], [100 * a for _, a in points], marker="o", label=f"PGD-{steps}")
    if "clean_accuracy" in result.metrics:
        ax.axhline(100 * result.metrics["clean_accuracy"], color="grey", linestyle=":", label="clean")
    ax.set_xlabel("ε (×1/255)" if scale == 255 else "ε")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{result.model.id} · {result.protocol['name']}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def figures_for(results: list[Result]) -> dict[str, bytes]:
    """``models/<id>-<protocol>-accuracy-vs-eps.png`` for every result with a PGD grid."""
    return {f"models/{r.model.id}-{r.protocol['name']}-accuracy-vs-eps.png": accuracy_vs_eps_png(r)
            for r in results if any(m == "pgd_grid" for m in r.produced_by.values())}
