"""The Ray executor against the local one on the same units, and Ray's per-unit overhead.

Not a test: it times things. The same sweep — one small model, a protocol of clean accuracy and a
small inequality battery, ``--units`` shards — runs on the local executor (this process, one
thread) and on a local Ray instance with 2 CPUs (two workers, one unit and one thread each). The
result files of both are compared before any ratio is reported. Ray is timed twice: cold (fresh
worker processes import torch and bench) and warm (a second sweep on the same instance).
Per-unit overhead: sweeps of U and 3U near-empty units (clean accuracy on one image each), one
unit at a time, on Ray and locally; the slope (time(3U) − time(U)) / 2U of Ray minus that of the
local executor is what Ray adds per unit (scheduling, argument transfer, progress reports); the
rest of a sweep's fixed cost (the progress actor, the merge) is reported apart.

    BENCH_ASSETS=../shared python benchmarks/ray_scaling.py --model cifar_cnn_a_adv --units 4 --shard-size 250
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

PROTOCOL = """name: ray-scaling
version: 1
description: clean accuracy and the code protocol's inequality battery (benchmarks/ray_scaling.py).
threat_model: Linf
selection: {strategy: first}
metrics:
  clean_accuracy: {}
  inequality:
    attribution: {method: integrated_gradients, n_steps: %d, integration: gausslegendre}
    region_size: 4
    noise: {k: [10, 20, 102, 204, 408], main_k: 102}
    occlusion: {budgets: [[10, 4]], colors: [black]}
    examples: 0
"""

CLEAN_ONLY = """name: ray-overhead
version: 1
description: clean accuracy only (per-unit overhead).
threat_model: Linf
selection: {strategy: first}
metrics:
  clean_accuracy: {}
"""


def jobs_for(text: str, folder: Path, model_id: str, n: int, shard_size: int, results: Path):
    from bench.executors import RunSettings, plan_sweep
    from bench.protocols import read_protocol
    from bench.zoo.catalog import Zoo

    path = folder / "protocol.yaml"
    path.write_text(text)
    protocol = read_protocol(path).resolve("cifar10", n_examples=n)
    settings = RunSettings(results_dir=results, batch_size=shard_size, device="cpu")
    return plan_sweep([(Zoo.load().get(model_id), protocol)], settings, shard_size)


def timed_sweep(jobs, executor) -> float:
    from bench.executors import run_sweep

    t = time.perf_counter()
    failures = run_sweep(jobs, executor, show_progress=False)
    if failures:
        raise SystemExit("\n".join(failures))
    return time.perf_counter() - t


def comparable(path: Path):
    from bench.results import read_result

    r = read_result(path)
    return [v.model_dump() for v in r.values], r.details, r.provenance.sample_ids


def main() -> None:
    import ray
    import torch

    from bench.executors import make_executor
    from bench.executors.ray import bench_environment

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cifar_cnn_a_adv")
    p.add_argument("--units", type=int, default=4)
    p.add_argument("--shard-size", type=int, default=250)
    p.add_argument("--n-steps", type=int, default=50)
    args = p.parse_args()
    torch.set_num_threads(1)
    n = args.units * args.shard_size
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        work = PROTOCOL % args.n_steps
        local = timed_sweep(
            jobs_for(work, tmp, args.model, n, args.shard_size, tmp / "local"),
            make_executor("local"),
        )
        tiny = {
            f"local_{u}": timed_sweep(
                jobs_for(CLEAN_ONLY, tmp, args.model, u, 1, tmp / f"o-local-{u}"),
                make_executor("local"),
            )
            for u in (args.units, 3 * args.units)
        }
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            logging_level="WARNING",
            runtime_env={"env_vars": bench_environment() | {"OMP_NUM_THREADS": "1"}},
        )
        try:
            ray_exec = make_executor("ray", cpus_per_task=1)
            cold = timed_sweep(
                jobs_for(work, tmp, args.model, n, args.shard_size, tmp / "ray1"), ray_exec
            )
            warm = timed_sweep(
                jobs_for(work, tmp, args.model, n, args.shard_size, tmp / "ray2"), ray_exec
            )
            serial = make_executor(
                "ray", cpus_per_task=2
            )  # one unit at a time: overhead, not parallelism
            timed_sweep(
                jobs_for(CLEAN_ONLY, tmp, args.model, 2, 1, tmp / "o-ray-warm"), serial
            )  # untimed warm-up
            tiny |= {
                f"ray_{u}": timed_sweep(
                    jobs_for(CLEAN_ONLY, tmp, args.model, u, 1, tmp / f"o-ray-{u}"), serial
                )
                for u in (args.units, 3 * args.units)
            }
        finally:
            ray.shutdown()
        name = f"{args.model}/ray-scaling.json"
        equal = (
            comparable(tmp / "local" / name)
            == comparable(tmp / "ray1" / name)
            == comparable(tmp / "ray2" / name)
        )
    u = args.units
    slope = {k: (tiny[f"{k}_{3 * u}"] - tiny[f"{k}_{u}"]) / (2 * u) for k in ("ray", "local")}
    print(
        json.dumps(
            {
                "model": args.model,
                "units": u,
                "images_per_unit": args.shard_size,
                "ig_steps": args.n_steps,
                "cpu_count": os.cpu_count(),
                "seconds_local_1_thread": local,
                "seconds_ray_2x1_cold": cold,
                "seconds_ray_2x1_warm": warm,
                "speedup_warm": local / warm,
                "speedup_cold": local / cold,
                "results_equal": equal,
                "ray_overhead_per_unit_s": slope["ray"] - slope["local"],
                "ray_fixed_cost_per_sweep_s": (tiny[f"ray_{u}"] - u * slope["ray"])
                - (tiny[f"local_{u}"] - u * slope["local"]),
                "seconds_tiny_sweeps": tiny,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
