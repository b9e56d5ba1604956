"""Throughput of the batched inequality battery against a per-image reference and the authors' workflow; peak memory.

Not a test: it times things. Both implementations run the same protocol on the same model and
images in one process, alternating, and their outputs are compared before any ratio is
reported. The references: one image at a time sharing one attribution (``per_image``), and the
authors' released workflow, which computes the attribution again in each script and for each
noise threshold and mode (``authors``). Peak memory (max RSS) is measured in fresh subprocesses
at two sizes of n.

    BENCH_ASSETS=../shared python benchmarks/inequality_throughput.py --model cifar_cnn_a_adv --n 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch


def reference_image(model, x, y, index, params, seed, recompute: bool = False):
    """Paper 000's battery on one image, written the obvious way: one forward per corrupted image.

    ``recompute``: the authors' released workflow (easyrobust ``examples/attacks/inequality``:
    ``inequality_test.py``, ``noise_eval.py`` run once per threshold and mode, ``occlusion_eval.py``
    once per colour, each at batch 1), where every pass computes the attribution again: 1 (Gini)
    + 2 × |k| (Noise-I, Noise-II) + |colours| attributions per image instead of one.
    """
    from bench.attacks import noise as noise_ops
    from bench.attacks.occlusion import Candidates, colour_in, patch_centres
    from bench.explanations import attribute, gini_global, gini_regional, input_space
    from bench.explanations.attribution import image_seeds
    from bench.metrics.inequality import noise_value, occlusion_value

    out = {"attributions": 0}
    attr_space, space = (
        input_space(model, params.attribution.space),
        input_space(model, params.space),
    )

    def attribution():
        out["attributions"] += 1
        return attribute(
            attr_space, attr_space.to_space(x), y, params.attribution, image_seeds(seed, [index], 0)
        )

    a = attribution()
    out["gini_global"] = gini_global(a, params.gini.transform).item()
    out["gini_regional"] = gini_regional(
        a, params.gini.transform, params.region_size, params.gini.sum_channels
    ).item()
    z = space.to_space(x)
    noise = noise_ops.draw_noise(
        z, params.noise.distribution, params.noise.std, image_seeds(seed, [index], 1)
    )
    valid = (space.pixel_value(0.0, z), space.pixel_value(1.0, z))

    def top(k):
        scores = attribution() if recompute else a
        return noise_ops.top_k_mask(scores if params.noise.ranking == "signed" else scores.abs(), k)

    for k in params.noise.k:
        masks = {
            "noise_random": (
                noise_ops.random_k_mask(z.shape, k, image_seeds(seed, [index], 2)),
                params.noise.random_mode,
            ),
            "noise_i": (top(k), "add"),
            "noise_ii": (top(k), "replace"),
        }
        with torch.no_grad():
            for mode, (mask, how) in masks.items():
                zc = noise_ops.clamp(
                    noise_ops.corrupt(z, mask, noise, how), z, params.noise.clamp, valid
                )
                out[noise_value(mode, k)] = bool(space.forward(zc).argmax(1).item() != y.item())
    occ = params.occlusion
    for budget in occ.budgets:
        candidates = Candidates.of(*budget, occ.loop)
        for colour in occ.colors:
            centres = patch_centres(
                attribution() if recompute else a,
                budget[0],
                occ.centres,
                occ.centre_transform,
                params.region_size,
            )
            out[occlusion_value(colour, budget)] = _occluded(
                space, z, y, centres, candidates, colour_in(space, colour, occ.black, z), occ.patch
            )
    return out


@torch.no_grad()
def _occluded(space, z, y, centres, candidates, colour, patch) -> bool:
    """Algorithm 1 at batch 1: one forward per candidate (count, radius) until the prediction changes."""
    from bench.attacks.occlusion import Candidates, candidate_masks, occlude

    for j in range(len(candidates)):
        one = Candidates(candidates.counts[j : j + 1], candidates.radii[j : j + 1])
        mask = candidate_masks(centres, one, z.shape[-2], z.shape[-1], patch)[:, 0]
        if space.forward(occlude(z, mask, colour)).argmax(1).item() != y.item():
            return True
    return False


def batched(model, x, y, idx, params, seed, batch_size):
    from bench.metrics.inequality import inequality_batch

    rows = []
    for s in range(0, len(x), batch_size):
        r = inequality_batch(
            model,
            x[s : s + batch_size],
            y[s : s + batch_size],
            idx[s : s + batch_size],
            params,
            seed,
            batch_size,
        )
        for i in range(len(r.correct)):
            row = {
                "gini_global": float(r.gini_global[i]),
                "gini_regional": float(r.gini_regional[i]),
            }
            row |= {k: bool(v[i]) for k, v in r.noise.items()}
            row |= {k: bool(v["success"][i]) for k, v in r.occlusion.items()}
            rows.append(row)
    return rows


def load(model_id, protocol_name, n):
    from bench.data import open_testset
    from bench.metrics.inequality import InequalityParams
    from bench.protocols import get_protocol
    from bench.zoo.catalog import Zoo
    from bench.zoo.model import load_model

    model = load_model(Zoo.load().get(model_id))
    params = InequalityParams.model_validate(get_protocol(protocol_name).metrics["inequality"])
    testset = open_testset("cifar10")
    x, y = testset.load(np.arange(min(len(testset.labels), 4 * n)))
    with torch.no_grad():
        keep = (
            (model(x).argmax(1) == y).nonzero().squeeze(1)[:n]
        )  # correct images only: both paths attack all
    return model, params, x[keep], y[keep], keep.numpy()


def compare(args) -> dict:
    """The batched battery, the per-image reference and the authors' workflow, alternating; outputs compared."""
    model, params, x, y, idx = load(args.model, args.protocol, args.n)
    sides = {
        "batched": lambda: batched(model, x, y, idx, params, 0, args.batch_size),
        "per_image": lambda: [
            reference_image(model, x[i : i + 1], y[i : i + 1], int(idx[i]), params, 0)
            for i in range(len(x))
        ],
        "authors": lambda: [
            reference_image(
                model, x[i : i + 1], y[i : i + 1], int(idx[i]), params, 0, recompute=True
            )
            for i in range(len(x))
        ],
    }
    times, outs = {k: [] for k in sides}, {}
    batched(
        model, x[:1], y[:1], idx[:1], params, 0, 1
    )  # warm-up, untimed: lazy kernel set-up is paid here
    reference_image(model, x[:1], y[:1], int(idx[0]), params, 0)
    for _ in range(args.repeats):
        for name, run in sides.items():
            t = time.perf_counter()
            outs[name] = run()
            times[name].append(time.perf_counter() - t)
    fast = outs["batched"]
    report = {
        "model": args.model,
        "protocol": args.protocol,
        "n_images": len(x),
        "batch_size": args.batch_size,
        "torch_threads": torch.get_num_threads(),
        "seconds_batched": min(times["batched"]),
    }
    for name in ("per_image", "authors"):
        slow = outs[name]
        decisions = [k for k in slow[0] if not k.startswith("gini") and k != "attributions"]
        report |= {
            f"seconds_{name}": min(times[name]),
            f"speedup_vs_{name}": min(times[name]) / min(times["batched"]),
            f"attributions_per_image_{name}": slow[0]["attributions"],
            f"decisions_different_{name}": sum(
                f[k] != s[k] for f, s in zip(fast, slow) for k in decisions
            ),
            f"max_gini_difference_{name}": max(
                abs(f[k] - s[k])
                for f, s in zip(fast, slow)
                for k in ("gini_global", "gini_regional")
            ),
        }
    report["attack_decisions_compared"] = len(decisions) * len(x)
    return report


def peak_memory(args) -> dict:
    """Max RSS of a fresh process running the battery on n images, for two n."""
    result = {}
    for n in (args.n, 4 * args.n):
        code = (
            f"import sys; sys.argv=['x','--model','{args.model}','--protocol','{args.protocol}','--n','{n}',"
            f"'--batch-size','{args.batch_size}','--only-batched']; "
            f"exec(open('{__file__}').read())"
        )
        child = subprocess.Popen([sys.executable, "-c", code])
        _, status, usage = os.wait4(
            child.pid, 0
        )  # this child's own peak, not the max over all children
        if status != 0:
            raise SystemExit(f"the n={n} run failed")
        result[f"max_rss_mb_n{n}"] = round(usage.ru_maxrss / 1024, 1)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cifar_cnn_a_adv")
    p.add_argument("--protocol", default="cifar10-inequality-code")
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--only-batched", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.only_batched:
        model, params, x, y, idx = load(args.model, args.protocol, args.n)
        batched(model, x, y, idx, params, 0, args.batch_size)
        return
    report = compare(args) | peak_memory(args)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
