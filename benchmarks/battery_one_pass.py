"""The battery in one pass against the same measures run as separate protocols (issue 12).

Both sides run the same metrics with the same parameters on the same images and seed, through
``bench.battery.run_battery``: once as the battery protocol, once as one protocol per metric
(what a user had to do before the battery existed). The script counts, on each side, the clean
forward passes over the selected images and the attribution calls (Integrated Gradients), checks
that every value is equal, then reports wall times and the ratio.

    BENCH_ASSETS=../shared python benchmarks/battery_one_pass.py --model cifar_smallgap_adv --n 16
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def counting():
    """Patch the attribution call and the shared clean-prediction pass to count them; returns the counters."""
    from bench import battery
    from bench.metrics.inequality import batch as inequality

    counts = {"attribution_calls": 0, "attributed_images": 0, "clean_prediction_passes": 0}
    real_attribute, real_clean = inequality.attribute, battery.clean_predictions

    def attribute(space, x, *a, **k):
        counts["attribution_calls"] += 1
        counts["attributed_images"] += len(x)
        return real_attribute(space, x, *a, **k)

    def clean_predictions(ctx):
        counts["clean_prediction_passes"] += 1
        return real_clean(ctx)

    inequality.attribute, battery.clean_predictions = attribute, clean_predictions

    def restore():
        inequality.attribute, battery.clean_predictions = real_attribute, real_clean

    return counts, restore


def clean_forward_counter(model, images):
    """A forward hook counting calls whose input is a batch of the clean selected images (the shared clean
    pass, and also the attacks' own first iterates and gradient checks, which start at the clean point)."""
    import torch

    seen = {"clean_forward_passes": 0}
    clean = {tuple(images[i].flatten()[:16].tolist()) for i in range(len(images))}

    def hook(module, inputs):
        x = inputs[0]
        if (
            isinstance(x, torch.Tensor)
            and x.dim() == 4
            and len(x)
            and all(tuple(row.flatten()[:16].tolist()) in clean for row in x[: min(len(x), 4)])
        ):
            seen["clean_forward_passes"] += 1

    return seen, model.register_forward_pre_hook(hook)


def run_side(entry, protocols, n, out: Path, load_model_patch):
    from bench.battery import run_battery

    counts, restore = counting()
    t0 = time.perf_counter()
    results = [
        run_battery(entry, p, results_dir=out, batch_size=n, device="cpu", seed=0)
        for p in protocols
    ]
    seconds = time.perf_counter() - t0
    restore()
    values = {v.name: v.value for r in results for v in r.values}
    return seconds, counts, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cifar_smallgap_adv")
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--protocol", default="cifar10-battery-linf")
    parser.add_argument(
        "--repeats", type=int, default=2, help="alternate the two sides this many times; best time"
    )
    args = parser.parse_args()

    import bench.zoo.model as zoo_model
    from bench.data import open_testset
    from bench.protocols import get_protocol
    from bench.zoo.catalog import Zoo

    entry = Zoo.load().get(args.model)
    battery = get_protocol(args.protocol).resolve(entry.dataset, n_examples=args.n)
    separate = [
        battery.model_copy(
            update={
                "name": f"{battery.name}-only-{m}",
                "battery": False,
                "metrics": {m: battery.metrics[m]},
            }
        )
        for m in battery.metrics
    ]
    images, _ = open_testset(battery.dataset, transform=entry.preprocessing.transform).load(
        list(range(args.n))
    )
    real_load = zoo_model.load_model
    forward = {}

    def load_counted(*a, **k):  # count the clean passes of every model the runs load
        model = real_load(*a, **k)
        seen, _ = clean_forward_counter(model, images)
        forward.setdefault("counters", []).append(seen)
        return model

    import bench.battery as battery_module

    battery_module.load_model = load_counted
    report = {
        "model": args.model,
        "protocol": args.protocol,
        "n": args.n,
        "metrics": list(battery.metrics),
    }
    sides = {"battery": [battery], "separate": separate}
    for _ in range(args.repeats):  # alternate, so warm-up and machine load fall on both sides alike
        for side, protocols in sides.items():
            forward.clear()
            with tempfile.TemporaryDirectory() as tmp:
                seconds, counts, values = run_side(entry, protocols, args.n, Path(tmp), None)
            best = min(seconds, report.get(side, {}).get("seconds", float("inf")))
            report[side] = {
                "seconds": round(best, 2),
                **counts,
                "forward_passes_on_clean_inputs": sum(
                    c["clean_forward_passes"] for c in forward["counters"]
                ),
                "values": values,
            }
    a, b = report["battery"].pop("values"), report["separate"].pop("values")
    report["values_compared"] = len(a)
    report["values_different"] = sorted(k for k in a if a[k] != b.get(k))
    report["time_ratio_separate_over_battery"] = round(
        report["separate"]["seconds"] / report["battery"]["seconds"], 3
    )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
