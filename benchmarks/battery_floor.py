"""The inequality battery against its compute floor, and the peak memory of the battery at n and 4n.

Not a test: it times things. The battery (``inequality_batch`` on every batch, what ``bench
evaluate`` runs) is run once with a forward hook that counts the images the model sees with
gradients on (Integrated Gradients: n_steps × images) and off (the noise and occlusion attacks).
The floor is those calls priced at the network's own cost: every call (gradients on or off, batch
size) timed again alone on the same images, best of several, summed over the calls the battery
made. battery / floor is the overhead of
everything else (masks, sorting, Gini, bookkeeping). Before the ratio is reported the hooked run's
per-image outcomes are compared with an unhooked run (they must be identical). Peak memory: max
RSS of a fresh ``bench evaluate`` process on n and 4n images.

    BENCH_ASSETS=../shared OMP_NUM_THREADS=1 python benchmarks/battery_floor.py --model cifar_cnn_a_adv --n 32
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch


def battery(model, x, y, idx, params, batch_size):
    """Per-image outcomes of the battery, batch by batch (the metric's own function)."""
    from bench.metrics.inequality import inequality_batch

    records = [
        inequality_batch(
            model,
            x[s : s + batch_size],
            y[s : s + batch_size],
            idx[s : s + batch_size],
            params,
            0,
            batch_size,
        )
        for s in range(0, len(x), batch_size)
    ]
    flat = {"gini_global": np.concatenate([r.gini_global for r in records])}
    for name in records[0].noise:
        flat[name] = np.concatenate([r.noise[name] for r in records])
    for name in records[0].occlusion:
        flat[name] = np.concatenate([r.occlusion[name]["success"] for r in records])
    return flat


def counted_calls(model, run) -> tuple[dict, float]:
    """Calls of the network during ``run()``, as (gradients on?, batch size) → count, and its time."""
    calls: dict[tuple[bool, int], int] = {}

    def hook(module, inputs, output):
        key = (torch.is_grad_enabled(), inputs[0].shape[0])
        calls[key] = calls.get(key, 0) + 1

    handle = getattr(model, "net", model).register_forward_hook(
        hook
    )  # the network itself: every path calls it
    try:
        t = time.perf_counter()
        out = run()
        return {"calls": calls, "out": out}, time.perf_counter() - t
    finally:
        handle.remove()


def call_cost(model, x, grad: bool, size: int, repeats: int) -> float:
    """Best seconds of one batched call of ``size`` images: forward+backward to the input, or forward."""
    xb = x[torch.arange(size) % len(x)]
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        if grad:
            z = xb.clone().requires_grad_(True)
            torch.autograd.grad(
                model(z).logsumexp(1).sum(), z
            )  # input gradients only, as IG takes them
        else:
            with torch.no_grad():
                model(xb)
        best = min(best, time.perf_counter() - t)
    return best


def peak_memory(model_id, protocol, n, batch_size) -> dict:
    """Max RSS (MB) of a fresh ``bench evaluate`` on n and on 4n images."""
    out = {}
    for size in (n, 4 * n):
        with tempfile.TemporaryDirectory() as tmp:
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.cli.main",
                    "evaluate",
                    "--model",
                    model_id,
                    "--protocol",
                    protocol,
                    "--n-examples",
                    str(size),
                    "--batch-size",
                    str(batch_size),
                    "--device",
                    "cpu",
                    "--no-progress",
                    "--results",
                    tmp,
                ],
                stdout=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(child.pid, 0)
        if status != 0:
            raise SystemExit(f"bench evaluate on {size} images failed")
        out[f"max_rss_mb_n{size}"] = round(usage.ru_maxrss / 1024, 1)
    return out


def main() -> None:
    sys.path.insert(0, os.path.dirname(__file__))
    from inequality_throughput import load

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cifar_cnn_a_adv")
    p.add_argument("--protocol", default="cifar10-inequality-code")
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    args = p.parse_args()
    model, params, x, y, idx = load(args.model, args.protocol, args.n)
    times, seen = [], None
    battery(model, x[:1], y[:1], idx[:1], params, 1)  # warm-up, untimed
    for _ in range(args.repeats):
        seen, t = counted_calls(model, lambda: battery(model, x, y, idx, params, args.batch_size))
        times.append(t)
    plain = battery(model, x, y, idx, params, args.batch_size)
    different = sum(
        int(np.sum(~np.isclose(plain[k], seen["out"][k], equal_nan=True))) for k in plain
    )
    costs = {key: call_cost(model, x, *key, 2 * args.repeats) for key in seen["calls"]}
    floor = sum(count * costs[key] for key, count in seen["calls"].items())
    images = {
        g: sum(size * n for (grad, size), n in seen["calls"].items() if grad == g)
        for g in (True, False)
    }
    report = {
        "model": args.model,
        "protocol": args.protocol,
        "n_images": len(x),
        "batch_size": args.batch_size,
        "torch_threads": torch.get_num_threads(),
        "seconds_battery": min(times),
        "seconds_floor": floor,
        "ratio_battery_over_floor": min(times) / floor,
        "images_with_grad": images[True],
        "images_without_grad": images[False],
        "network_calls": sum(seen["calls"].values()),
        "outcomes_different": different,
    }
    if not args.no_memory:
        report |= peak_memory(args.model, args.protocol, args.n, args.batch_size)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
