"""Throughput of the batched inequality battery against a per-image reference, and its peak memory.

Not a test: it times things. Both implementations run the same protocol on the same model and
images in one process, alternating, and their outputs are compared before any ratio is
reported. Peak memory (max RSS) is measured in fresh subprocesses at two sizes of n.

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


def reference_image(model, x, y, index, params, seed):
    """Paper 000's battery on one image, written the obvious way: one forward per corrupted image."""
    from bench.attacks import noise as noise_ops
    from bench.attacks.occlusion import Candidates, candidate_masks, occlude, patch_centres
    from bench.attribution import attribute, gini_global, gini_regional, input_space
    from bench.metrics.inequality import colour_in, image_seeds, noise_value, occlusion_value

    out = {}
    attr_space, space = input_space(model, params.attribution.space), input_space(model, params.space)
    a = attribute(attr_space, attr_space.to_space(x), y, params.attribution, image_seeds(seed, [index], 0))
    out["gini_global"] = gini_global(a, params.gini.transform).item()
    out["gini_regional"] = gini_regional(a, params.gini.transform, params.region_size, params.gini.sum_channels).item()
    z = space.to_space(x)
    noise = noise_ops.draw_noise(z, params.noise.distribution, params.noise.std, image_seeds(seed, [index], 1))
    valid = (space.pixel_value(0.0, z), space.pixel_value(1.0, z))
    scores = a if params.noise.ranking == "signed" else a.abs()
    with torch.no_grad():
        for k in params.noise.k:
            top = noise_ops.top_k_mask(scores, k)
            masks = {"noise_random": (noise_ops.random_k_mask(z.shape, k, image_seeds(seed, [index], 2)), params.noise.random_mode),
                     "noise_i": (top, "add"), "noise_ii": (top, "replace")}
            for mode, (mask, how) in masks.items():
                zc = noise_ops.clamp(noise_ops.corrupt(z, mask, noise, how), z, params.noise.clamp, valid)
                out[noise_value(mode, k)] = bool(space.forward(zc).argmax(1).item() != y.item())
        occ = params.occlusion
        for budget in occ.budgets:
            centres = patch_centres(a, budget[0], occ.centres, occ.centre_transform, params.region_size)
            candidates = Candidates.of(*budget, occ.loop)
            for colour in occ.colors:
                c = colour_in(space, colour, occ.black, z)
                hit = False
                for j in range(len(candidates)):
                    one = Candidates(candidates.counts[j:j + 1], candidates.radii[j:j + 1])
                    mask = candidate_masks(centres, one, z.shape[-2], z.shape[-1], occ.patch)[:, 0]
                    if space.forward(occlude(z, mask, c)).argmax(1).item() != y.item():
                        hit = True
                        break
                out[occlusion_value(colour, budget)] = hit
    return out


def batched(model, x, y, idx, params, seed, batch_size):
    from bench.metrics.inequality import inequality_batch

    rows = []
    for s in range(0, len(x), batch_size):
        r = inequality_batch(model, x[s:s + batch_size], y[s:s + batch_size], idx[s:s + batch_size], params, seed, batch_size)
        for i in range(len(r.correct)):
            row = {"gini_global": float(r.gini_global[i]), "gini_regional": float(r.gini_regional[i])}
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
        keep = (model(x).argmax(1) == y).nonzero().squeeze(1)[:n]  # correct images only: both paths attack all
    return model, params, x[keep], y[keep], keep.numpy()


def compare(args) -> dict:
    model, params, x, y, idx = load(args.model, args.protocol, args.n)
    times = {"batched": [], "reference": []}
    for _ in range(args.repeats):
        t = time.perf_counter()
        fast = batched(model, x, y, idx, params, 0, args.batch_size)
        times["batched"].append(time.perf_counter() - t)
        t = time.perf_counter()
        slow = [reference_image(model, x[i:i + 1], y[i:i + 1], int(idx[i]), params, 0) for i in range(len(x))]
        times["reference"].append(time.perf_counter() - t)
    decisions = [k for k in slow[0] if not k.startswith("gini")]
    mismatched = sum(f[k] != s[k] for f, s in zip(fast, slow) for k in decisions)
    gini_gap = max(abs(f[k] - s[k]) for f, s in zip(fast, slow) for k in ("gini_global", "gini_regional"))
    return {"model": args.model, "protocol": args.protocol, "n_images": len(x), "batch_size": args.batch_size,
            "seconds_batched": min(times["batched"]), "seconds_reference": min(times["reference"]),
            "speedup": min(times["reference"]) / min(times["batched"]),
            "attack_decisions_compared": len(decisions) * len(x), "attack_decisions_different": mismatched,
            "max_gini_difference": gini_gap, "torch_threads": torch.get_num_threads()}


def peak_memory(args) -> dict:
    """Max RSS of a fresh process running the battery on n images, for two n."""
    result = {}
    for n in (args.n, 4 * args.n):
        code = (f"import sys; sys.argv=['x','--model','{args.model}','--protocol','{args.protocol}','--n','{n}',"
                f"'--batch-size','{args.batch_size}','--only-batched']; "
                f"exec(open('{__file__}').read())")
        child = subprocess.Popen([sys.executable, "-c", code])
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the max over all children
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
