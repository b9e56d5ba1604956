"""Figures for model pages (matplotlib, PNG bytes; the CLI writes them)."""

from __future__ import annotations

import io

from bench.datasets import dataset_info
from bench.results import Result


def _eps_scale(result: Result) -> int:
    """255 where ε is shown as k/255 (colour images), 1 for the digit sets (the data-set registry)."""
    info = dataset_info(result.model.dataset)
    return info.eps_scale if info else 255


def accuracy_vs_eps_png(result: Result) -> bytes:
    """PGD accuracy against ε, one line per step count (paper 001, Table 1 as a curve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves: dict[int, list[tuple[float, float]]] = {}
    for v in result.find("pgd_grid", "accuracy", attack="pgd"):
        if v.value is not None:
            curves.setdefault(int(v.params["steps"]), []).append((float(v.params["eps"]), v.value))
    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
    scale = _eps_scale(result)
    for steps in sorted(curves):
        points = sorted(curves[steps])
        ax.plot(
            [e * scale for e, _ in points],
            [100 * a for _, a in points],
            marker="o",
            label=f"PGD-{steps}",
        )
    if "clean_accuracy" in result.metrics:
        ax.axhline(
            100 * result.metrics["clean_accuracy"], color="grey", linestyle=":", label="clean"
        )
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


def interpretation_maps_png(result: Result, examples) -> bytes:
    """Paper 001, Fig. 2 (c) style: each image, its clean map and its map after the attack against
    interpretability, with Kendall's τ between the two maps."""
    import numpy as np

    plt = _pyplot()
    n = len(examples["clean"])
    fig, axes = plt.subplots(3, n, figsize=(max(1.6 * n, 4.5), 5.0), dpi=100, squeeze=False)
    for i in range(n):
        _show(axes[0, i], examples["clean"][i], "")
        bound = (
            float(np.abs(np.stack([examples["map_clean"][i], examples["map_attacked"][i]])).max())
            or 1.0
        )
        for row, key in ((1, "map_clean"), (2, "map_attacked")):
            axes[row, i].imshow(
                examples[key][i], cmap="bwr", vmin=-bound, vmax=bound, interpolation="bilinear"
            )
            axes[row, i].axis("off")
        axes[2, i].set_title(f"τ = {float(examples['tau'][i]):.2f}", fontsize=7)
    axes[1, 0].set_title("clean map", fontsize=7, loc="left")
    eps = float(examples["eps"])
    fig.suptitle(
        f"{result.model.id} · {result.protocol['name']}\nmaps of the predicted class, clean and under "
        f"the top-k attack at ε = {eps * 255:g}/255"
        if _eps_scale(result) == 255
        else f"{result.model.id} · {result.protocol['name']}\nclean and attacked maps, ε = {eps:g}",
        fontsize=8,
    )
    fig.tight_layout()
    return _png(fig)


def _examples(results_dir, result: Result, metric: str):
    """The ``examples.npz`` a metric left beside ``result``, or None."""
    import numpy as np

    from bench.results import result_path
    from bench.results.store import artifact_path

    if results_dir is None:
        return None
    path = artifact_path(
        result_path(results_dir, result.model.id, result.protocol["name"]), metric, "examples.npz"
    )
    if not path.is_file():
        return None
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def figures_for(results: list[Result], results_dir=None) -> dict[str, bytes]:
    """Every model page's figures: accuracy against ε for PGD grids; attribution maps, corrupted
    examples and error against k for inequality results (examples are read from ``results_dir``)."""
    figures = {
        f"models/{r.model.id}-{r.protocol['name']}-accuracy-vs-eps.png": accuracy_vs_eps_png(r)
        for r in results
        if r.find("pgd_grid", "accuracy", attack="pgd")
    }
    for r in results:
        if "inequality" in r.produced_by.values():
            from bench.leaderboard.figures_inequality import inequality_figures

            figures.update(inequality_figures(r, results_dir))
        examples = (
            _examples(results_dir, r, "interpretation")
            if "interpretation" in r.produced_by.values()
            else None
        )
        if examples is not None:
            figures[f"models/{r.model.id}-{r.protocol['name']}-interpretation.png"] = (
                interpretation_maps_png(r, examples)
            )
    return figures


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    _pyplot().close(fig)
    return buffer.getvalue()


def _show(ax, image, title: str) -> None:
    """An image stored (C, H, W) in [0, 1] (clipped: noise and the code's colours can leave the box)."""
    import numpy as np

    image = np.clip(np.asarray(image, dtype=float), 0, 1)
    ax.imshow(
        image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0),
        cmap="gray" if image.shape[0] == 1 else None,
        interpolation="nearest",
    )
    ax.set_title(title, fontsize=7)
    ax.axis("off")


def _label(result: Result, index: int) -> str:
    info = dataset_info(result.model.dataset)
    names = info.class_names if info else ()
    return names[index] if names and index < len(names) else str(index)


def _rates_png(
    result: Result,
    curves: dict[str, tuple[list, str | None]],
    xlabel: str,
    ylabel: str,
    log_x: bool = False,
) -> bytes:
    """Rates in [0, 1] against x, one line per label (``label → (points, colour)``), shown as %."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5), dpi=100)
    for name, (points, colour) in curves.items():
        ax.plot(
            [x for x, _ in points],
            [100 * e for _, e in points],
            marker="o",
            label=name,
            **({"color": colour} if colour else {}),
        )
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 100)
    ax.set_title(f"{result.model.id} · {result.protocol['name']}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)
