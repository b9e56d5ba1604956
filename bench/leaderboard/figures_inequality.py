"""Figures of paper 000's battery on model pages: attribution maps (A.2), corrupted examples, noise error
against k (Figure 3) and occlusion success against radius (A.10)."""

from __future__ import annotations

from bench.leaderboard.figures import _examples, _label, _png, _pyplot, _rates_png, _show
from bench.results import Result


def attribution_maps_png(result: Result, examples) -> bytes:
    """Appendix A.2: the same attribution maps shown raw and with the usual ±3σ clipping.

    Clipping to ±3σ and rescaling (Tsipras et al.) makes maps look spread out and
    "perceptually aligned"; the raw map shows how few pixels carry the attribution.
    """
    import numpy as np

    plt = _pyplot()
    clean, maps = examples["clean"], examples["attribution"].astype(float).sum(axis=1)
    fig, axes = plt.subplots(
        3, len(clean), figsize=(max(1.6 * len(clean), 4.5), 5.0), dpi=100, squeeze=False
    )
    for i, (image, a) in enumerate(zip(clean, maps)):
        _show(axes[0, i], image, f"{_label(result, int(examples['prediction/clean'][i]))}")
        bound = np.abs(a).max() or 1.0
        axes[1, i].imshow(a / bound, cmap="bwr", vmin=-1, vmax=1, interpolation="nearest")
        sigma = a.std() or 1.0
        clipped = np.clip(a, -3 * sigma, 3 * sigma)
        axes[2, i].imshow(
            (clipped + 3 * sigma) / (6 * sigma), cmap="bwr", vmin=0, vmax=1, interpolation="nearest"
        )
        for ax in axes[1:, i]:
            ax.axis("off")
    axes[1, 0].set_title("raw (scaled by max |a|)", fontsize=7, loc="left")
    axes[2, 0].set_title("clipped to ±3σ, rescaled", fontsize=7, loc="left")
    fig.suptitle(
        f"{result.model.id} · {result.protocol['name']}\nattribution, summed over channels",
        fontsize=8,
    )
    fig.tight_layout()
    return _png(fig)


def occluded_examples_png(result: Result, examples) -> bytes:
    """Figure 4: clean images and their corrupted versions at the main budgets, with the predictions."""
    plt = _pyplot()
    kinds = ["clean"] + sorted(
        k
        for k in examples
        if not k.startswith(("prediction/", "attribution", "clean"))
        and not k.startswith("noise_random")
    )
    n = len(examples["clean"])
    fig, axes = plt.subplots(
        n, len(kinds), figsize=(1.5 * len(kinds), 1.6 * n), dpi=100, squeeze=False
    )
    for row in range(n):
        for col, kind in enumerate(kinds):
            predicted = _label(result, int(examples[f"prediction/{kind}"][row]))
            short = kind.replace("occlusion_", "occ-").replace("_err", "")
            _show(
                axes[row, col],
                examples[kind][row],
                f"{short}\n→ {predicted}" if row == 0 else f"→ {predicted}",
            )
    fig.suptitle(f"{result.model.id} · corrupted examples · {result.protocol['name']}", fontsize=8)
    fig.tight_layout()
    return _png(fig)


NOISE_MODES = ("noise_random", "noise_i", "noise_ii")


def noise_error_vs_k_png(result: Result) -> bytes:
    """Figure 3: error rate under random, Noise-I and Noise-II corruption against the number of sub-pixels k."""
    curves: dict[str, list[tuple[int, float]]] = {}
    for v in result.find("inequality", "error_rate"):
        if v.params.get("attack") in NOISE_MODES and v.value is not None:
            curves.setdefault(str(v.params["attack"]), []).append((int(v.params["k"]), v.value))
    labels = {
        "noise_random": "random pixels",
        "noise_i": "Noise-I (add)",
        "noise_ii": "Noise-II (replace)",
    }
    shown = {labels[mode]: (sorted(curves[mode]), None) for mode in labels if mode in curves}
    return _rates_png(result, shown, "corrupted sub-pixels k", "error rate (%)", log_x=True)


def occlusion_curves(result: Result) -> dict[str, list[tuple[int, float]]]:
    """Occlusion success against the largest radius allowed, per colour, from the per-image records.

    Exact only when radius is the outer loop (the authors' code): the first success is then at the
    smallest radius, so "fooled within radius r" is "fooled, at a recorded radius ≤ r". Under
    Algorithm 1's count-outer loop the recorded radius is not the smallest one: no curve.
    """
    import numpy as np

    params = result.recorded_params("inequality")
    if params is None or params.occlusion is None or params.occlusion.loop != "radius_outer":
        return {}
    records = result.details.get("inequality", {}).get("occlusion", {})
    curves = {}
    for v in result.find("inequality", "error_rate", attack="occlusion", main=True):
        per_image = records.get(v.name, {}).get("per_image", {})
        success, radius = per_image.get("success", []), per_image.get("radius", [])
        if success and len(success) == len(radius):
            hit, rad = np.asarray(success, dtype=bool), np.asarray(radius, dtype=float)
            curves[str(v.params["colour"])] = [
                (r, float((hit & (rad <= r)).mean()))
                for r in range(1, int(v.params["max_radius"]) + 1)
            ]
    return curves


def occlusion_vs_radius_png(result: Result, curves: dict[str, list[tuple[int, float]]]) -> bytes:
    """Occlusion success rate against the maximum patch radius R (paper 000, A.10's R = 4 as the last point)."""
    colours = {"black": "black", "grey": "grey", "white": "tab:orange"}
    return _rates_png(
        result,
        {c: (points, colours.get(c)) for c, points in sorted(curves.items())},
        "largest radius R (patch side 2R)",
        "success rate (%)",
    )


def inequality_figures(result: Result, results_dir) -> dict[str, str | bytes]:
    """The figures of an inequality result (``name → png``); example figures need the saved examples."""
    stem = f"models/{result.model.id}-{result.protocol['name']}"
    figures: dict[str, bytes] = {}
    curves = occlusion_curves(result)
    if curves:
        figures[f"{stem}-occlusion-vs-radius.png"] = occlusion_vs_radius_png(result, curves)
    if any(v.params.get("attack") in NOISE_MODES for v in result.find("inequality", "error_rate")):
        figures[f"{stem}-noise-vs-k.png"] = noise_error_vs_k_png(result)
    examples = _examples(results_dir, result, "inequality")
    if examples is not None:
        figures[f"{stem}-attribution.png"] = attribution_maps_png(result, examples)
        figures[f"{stem}-corrupted.png"] = occluded_examples_png(result, examples)
    return figures
