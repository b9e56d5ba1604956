"""AutoAttack through bench's metric against the pyautoattack library called directly, on the same images.

Not a test: it times things. Both sides run AutoAttack (the same version, ε, seed and batch size)
on the same model and images in one process, alternating ``--repeats`` times (bench first in
even repeats, the library first in odd ones, after one untimed full run of the library, which
warms the same shapes for both sides); the robust flag of every image is compared before the
ratio is reported. bench's side includes its shared clean forward pass and the per-attack
resume state it writes; the library's side is
``AutoAttack(...).run_standard_evaluation`` as robustbench calls it. Both sides make the same
attack calls on the same batches, so the time each spends outside the attack objects'
``perturb`` (``seconds_outside_attacks_*``, best run) is its overhead, a figure this machine's
noise (several % on the attacks themselves between identical runs) does not swamp.

    BENCH_ASSETS=../shared OMP_NUM_THREADS=1 python benchmarks/autoattack_overhead.py --model cifar_cnn_a_adv --n 16
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from contextlib import contextmanager
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


@contextmanager
def attack_clock():
    """Seconds spent inside the attack objects' ``perturb`` while it is open (``clock[0]``)."""
    from bench.compat import alias_autoattack

    lib, clock = alias_autoattack(), [0.0]
    classes = (
        lib.autopgd_base.APGDAttack,
        lib.autopgd_base.APGDAttack_targeted,
        lib.fab_base.FABAttack,
        lib.square.SquareAttack,
    )  # each defines its own perturb (FABAttack_PT inherits FABAttack's)
    saved = {cls: cls.__dict__["perturb"] for cls in classes}
    for cls, perturb in saved.items():

        def timed(self, *args, _perturb=perturb, **kwargs):
            t = time.perf_counter()
            try:
                return _perturb(self, *args, **kwargs)
            finally:
                clock[0] += time.perf_counter() - t

        cls.perturb = timed
    try:
        yield clock
    finally:
        for cls, perturb in saved.items():
            cls.perturb = perturb


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
    library_side(model, x, y, protocol.eps, 0, args.batch_size, dev)  # warm-up, untimed, full
    times: dict[str, list[tuple[float, float]]] = {"bench": [], "library": []}
    flags = {}
    with tempfile.TemporaryDirectory() as tmp, attack_clock() as clock:
        for r in range(args.repeats):
            state_dir = Path(tmp) / f"run{r}"
            state_dir.mkdir()
            ctx = RunContext(
                model,
                entry,
                protocol,
                testset,
                indices,
                args.batch_size,
                dev,
                0,
                state_dir=state_dir,
            )
            sides = {
                "bench": lambda ctx=ctx: bench_side(ctx, params),
                "library": lambda: library_side(model, x, y, protocol.eps, 0, args.batch_size, dev),
            }
            for side in ("bench", "library") if r % 2 == 0 else ("library", "bench"):
                clock[0], t = 0.0, time.perf_counter()
                flags[side] = sides[side]()
                total = time.perf_counter() - t
                times[side].append((total, total - clock[0]))
    ours, theirs = flags["bench"], flags["library"]
    best = {k: min(v) for k, v in times.items()}  # the fastest run of each side, and its overhead
    print(
        json.dumps(
            {
                "model": args.model,
                "n_images": len(indices),
                "eps": protocol.eps,
                "batch_size": args.batch_size,
                "torch_threads": torch.get_num_threads(),
                "seconds_bench": best["bench"][0],
                "seconds_library": best["library"][0],
                "ratio_bench_over_library": best["bench"][0] / best["library"][0],
                "seconds_outside_attacks_bench": best["bench"][1],
                "seconds_outside_attacks_library": best["library"][1],
                "robust_accuracy": float(ours.float().mean()),
                "robust_flags_different": int((ours != theirs).sum()),
                "images_compared": len(ours),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
