"""AutoAttack through bench's metric against the pyautoattack library called directly, on the same images.

Not a test: it times things. Both sides run AutoAttack (the same version, ε, seed and batch size)
on the same model and images in one process, alternating ``--repeats`` times; the robust flag of
every image is compared before the ratio is reported. bench's side includes its shared clean
forward pass and the per-attack resume state it writes; the library's side is
``AutoAttack(...).run_standard_evaluation`` as robustbench calls it.

    BENCH_ASSETS=../shared OMP_NUM_THREADS=1 python benchmarks/autoattack_overhead.py --model cifar_cnn_a_adv --n 16
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch


def bench_side(ctx, params) -> torch.Tensor:
    """bench's metric: the shared clean pass, then the attacks on the images still robust."""
    from bench.metrics import METRICS
    from bench.metrics.accuracy import clean_predictions

    ctx = replace(ctx, predictions=None)
    ctx.predictions = clean_predictions(ctx)
    out = METRICS.get("autoattack").run(ctx, params)
    return torch.tensor(out.detail["robust_flags"], dtype=torch.bool)


def library_side(model, x, y, eps, seed, batch_size, device) -> torch.Tensor:
    """The library alone: one ``run_standard_evaluation`` call; robust = its adversarial label is the true one."""
    from bench.compat import alias_autoattack

    adversary = alias_autoattack().AutoAttack(
        model, norm="Linf", eps=eps, version="standard", seed=seed, device=device
    )
    adversary.verbose = False
    _, y_adv = adversary.run_standard_evaluation(x, y, batch_size=batch_size)
    return (y_adv == y).cpu()


def main() -> None:
    from bench.battery import open_run
    from bench.metrics import RunContext
    from bench.metrics.autoattack import AutoAttackParams
    from bench.protocols import get_protocol
    from bench.zoo.catalog import Zoo

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cifar_cnn_a_adv")
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    entry, dev = Zoo.load().get(args.model), torch.device("cpu")
    protocol = get_protocol("cifar10-autoattack").resolve("cifar10", n_examples=args.n)
    testset, model, indices = open_run(entry, protocol, dev, args.batch_size, None, None)
    x, y = testset.load(indices)
    params = AutoAttackParams(version="standard")
    library_side(model, x[:1], y[:1], protocol.eps, 0, args.batch_size, dev)  # warm-up, untimed
    times: dict[str, list[float]] = {"bench": [], "library": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            ctx = RunContext(
                model,
                entry,
                protocol,
                testset,
                indices,
                args.batch_size,
                dev,
                0,
                state_dir=Path(tmp) / f"run{r}",
            )
            ctx.state_dir.mkdir()
            t = time.perf_counter()
            ours = bench_side(ctx, params)
            times["bench"].append(time.perf_counter() - t)
            t = time.perf_counter()
            theirs = library_side(model, x, y, protocol.eps, 0, args.batch_size, dev)
            times["library"].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    print(
        json.dumps(
            {
                "model": args.model,
                "n_images": len(indices),
                "eps": protocol.eps,
                "batch_size": args.batch_size,
                "torch_threads": torch.get_num_threads(),
                "seconds_bench": best["bench"],
                "seconds_library": best["library"],
                "ratio_bench_over_library": best["bench"] / best["library"],
                "robust_accuracy": float(ours.float().mean()),
                "robust_flags_different": int((ours != theirs).sum()),
                "images_compared": len(ours),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
