"""``bench table --compare A B``: two results of one protocol compared image by image.

Paired on the same images: the difference of means with a seeded bootstrap 95% interval and a
seeded sign-flip permutation p-value (:mod:`bench.stats`), one row per value.
"""

from __future__ import annotations

from pathlib import Path


def compare_results(
    results_dir: Path, models, protocol: str, values: list[str], resamples: int, seed: int
) -> tuple[str, dict]:
    """The protocol digest of the two results and, per value, their paired comparison."""
    from bench.stats import compare_paired, per_image_values

    a, b = (_read(results_dir, model, protocol) for model in models)
    _check_paired(a, b)
    labels = _labels(a) if "clean_accuracy" in values else None
    rows = {
        value: compare_paired(
            per_image_values(a.details, value, labels),
            per_image_values(b.details, value, labels),
            resamples,
            seed,
        )
        for value in values
    }
    return a.protocol_digest, rows


def render_paired(models, protocol: str, digest: str, rows: dict) -> str:
    """A small markdown table: A, B, A − B, its 95% interval and p-value, images measured."""
    a, b = models
    n = next(iter(rows.values()))
    lines = [
        f"Paired comparison under `{protocol}` (digest `{digest}`), {n.n_images} images; "
        f"A = `{a}`, B = `{b}`; {n.n_resamples} bootstrap resamples and sign-flip permutations, "
        f"seed {n.seed}.",
        "",
        "| value | A | B | A − B | 95% interval | p | n measured (A / B) |",
        "|---|---|---|---|---|---|---|",
    ]
    for value, c in rows.items():
        lines.append(
            f"| {value} | {c.mean_a:.4f} | {c.mean_b:.4f} | {c.difference:+.4f} | "
            f"[{c.ci_low:+.4f}, {c.ci_high:+.4f}] | {_p_text(c)} | {c.n_measured_a} / {c.n_measured_b} |"
        )
    return "\n".join(lines) + "\n"


def _p_text(c) -> str:
    """The p-value; at its floor 1/(R + 1) (no permutation as extreme) it is shown as a bound."""
    return f"≤ {c.p_value:.1g}" if c.p_value * (c.n_resamples + 1) < 1.5 else f"{c.p_value:.2g}"


def _read(results_dir: Path, model: str, protocol: str):
    """The result file of ``model`` under ``protocol`` (MissingFileError if it was never written)."""
    from bench.errors import MissingFileError
    from bench.results import read_result, result_path

    path = result_path(results_dir, model, protocol)
    if not path.is_file():
        raise MissingFileError(f"No result for {model} under {protocol}: {path} does not exist.")
    return read_result(path)


def _check_paired(a, b) -> None:
    """Two results are paired when their protocols are equal and they ran on the same images."""
    from bench.errors import BenchError

    if a.protocol_digest != b.protocol_digest:
        raise BenchError(
            f"{a.model.id} and {b.model.id} ran different versions of the protocol "
            f"(digests {a.protocol_digest} and {b.protocol_digest}); they are not comparable."
        )
    if a.provenance.sample_ids != b.provenance.sample_ids:
        raise BenchError(
            f"{a.model.id} and {b.model.id} were evaluated on different images; pass results "
            "of the same selection (same --n-examples and --seed)."
        )


def _labels(result):
    """The test labels of the result's images (result files store predictions, not labels)."""
    import numpy as np

    from bench.data.testsets import open_testset

    testset = open_testset(result.protocol["dataset"])
    positions = {image_id: i for i, image_id in enumerate(testset.ids)}
    return np.asarray(testset.labels)[[positions[i] for i in result.provenance.sample_ids]]
