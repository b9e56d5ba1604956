"""Sweeps without Ray: planning units, merging shards exactly, leases and resume (bench.executors)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.battery import run_battery
from bench.errors import BenchError
from bench.executors import RunSettings, make_executor, plan_sweep, run_sweep
from bench.executors.leases import execution_log, executions
from bench.executors.progress import SweepBoard
from bench.executors.shards import merge_job, run_unit
from bench.executors.units import plan_job
from bench.protocols import get_protocol, read_protocol
from bench.zoo.catalog import Zoo

ZOO = Zoo.load()

SMALL = """name: shard-test
version: 1
description: clean, PGD (random start), a small inequality battery; no AutoAttack.
threat_model: Linf
selection: {strategy: first, n: 16}
metrics:
  clean_accuracy: {}
  pgd_grid: {eps: [0.03137254901960784], steps: [1, 3], random_start: %s}
  inequality:
    attribution: {method: integrated_gradients, n_steps: 4}
    region_size: 4
    noise: {k: [10, 50], main_k: 50}
    occlusion: {budgets: [[2, 2]], colors: [black, white]}
    examples: 3
"""


def small_protocol(tmp_path, random_start: bool = False, n: int = 16):
    path = tmp_path / f"shard-test-{random_start}.yaml"
    path.write_text(SMALL % str(random_start).lower())
    return read_protocol(path).resolve("cifar10", n_examples=n)


def settings(tmp_path, name: str, batch_size: int = 100) -> RunSettings:
    return RunSettings(results_dir=tmp_path / name, batch_size=batch_size, device="cpu")


def comparable(result) -> tuple:
    """What a sharded run must reproduce: values, details, flags and the sample ids (not the timing)."""
    return (
        [v.model_dump() for v in result.values],
        result.details,
        result.flags,
        result.provenance.sample_ids,
        result.protocol_digest,
    )


def test_plan_splits_images_into_shards_and_keeps_unmergeable_metrics_whole(
    shared_assets, tmp_path
):
    protocol = get_protocol("quick").resolve("cifar10", n_examples=20)
    job = plan_job(ZOO.get("cifar_cnn_a_adv"), protocol, settings(tmp_path, "r"), 8, 0)
    units = job.units()
    assert [(u.kind, u.start, u.stop) for u in units] == [
        ("shard", 0, 8),
        ("shard", 8, 16),
        ("shard", 16, 20),
        ("whole", 0, 20),
    ]
    assert job.whole == ("autoattack",) and set(job.sharded) == {
        "clean_accuracy",
        "pgd_grid",
        "inequality",
    }
    assert any("autoattack runs unsharded" in note for note in job.notes)
    assert len({u.key for u in units}) == len(units)
    # No shard size, or one shard holds the whole selection: one battery unit, exactly `bench evaluate --model`.
    assert [
        u.kind
        for u in plan_job(
            ZOO.get("cifar_cnn_a_adv"), protocol, settings(tmp_path, "r"), None, 0
        ).units()
    ] == ["battery"]
    assert [
        u.kind
        for u in plan_job(
            ZOO.get("cifar_cnn_a_adv"), protocol, settings(tmp_path, "r"), 20, 0
        ).units()
    ] == ["battery"]


def test_random_start_pgd_is_sharded_only_on_whole_batches(tmp_path):
    protocol = small_protocol(tmp_path, random_start=True)
    misaligned = plan_job(
        ZOO.get("cifar_cnn_a_adv"), protocol, settings(tmp_path, "r", batch_size=3), 8, 0
    )
    assert "pgd_grid" in misaligned.whole and any("multiple of 3" in n for n in misaligned.notes)
    aligned = plan_job(
        ZOO.get("cifar_cnn_a_adv"), protocol, settings(tmp_path, "r", batch_size=4), 8, 0
    )
    assert "pgd_grid" in aligned.sharded and not aligned.whole


@pytest.mark.parametrize(
    "batch_size,shard_size,random_start", [(100, 8, False), (3, 5, False), (4, 8, True)]
)
def test_sharded_sweep_writes_exactly_the_single_process_result(
    shared_assets, tmp_path, batch_size, shard_size, random_start
):
    entry, protocol = ZOO.get("cifar_smallgap_adv"), small_protocol(tmp_path, random_start)
    single = run_battery(
        entry, protocol, results_dir=tmp_path / "single", batch_size=batch_size, device="cpu"
    )
    jobs = plan_sweep([(entry, protocol)], settings(tmp_path, "sharded", batch_size), shard_size)
    assert jobs[0].is_sharded and len(jobs[0].units()) == -(-16 // shard_size) and not jobs[0].whole
    assert run_sweep(jobs, make_executor("local"), show_progress=False) == []
    from bench.results import read_result

    merged = read_result(jobs[0].final)
    assert comparable(merged) == comparable(single)
    folder = jobs[0].final.parent
    assert sorted(p.name for p in folder.glob("*.json")) == ["shard-test.json"]
    assert not jobs[0].units_dir.exists()  # shard state is removed once merged
    ours, theirs = (
        np.load(d / "shard-test.inequality.examples.npz")
        for d in (folder, tmp_path / "single" / entry.id)
    )
    assert ours.files == theirs.files and all(
        np.array_equal(ours[k], theirs[k]) for k in ours.files
    )


def test_a_finished_shard_is_never_recomputed_and_a_rerun_resumes(shared_assets, tmp_path):
    entry, protocol = ZOO.get("cifar_cnn_a_adv"), small_protocol(tmp_path, n=12)
    job = plan_sweep([(entry, protocol)], settings(tmp_path, "r", 4), 4)[0]
    first, *rest = job.units()
    assert run_unit(first)["status"] == "done"  # then the driver died: no merge
    assert run_unit(first)["status"] == "skipped"  # a rerun (or a second driver) finds it finished
    for unit in rest:
        run_unit(unit)
    assert [len(executions(u)) for u in job.units()] == [1, 1, 1]
    merge_job(job)
    log = [json.loads(line) for line in execution_log(job).read_text().splitlines()]
    assert sorted(r["unit"] for r in log) == sorted(u.name for u in job.units())
    assert run_unit(first)["status"] == "skipped"  # merged: nothing left to do
    single = run_battery(
        entry, protocol, results_dir=tmp_path / "single", batch_size=4, device="cpu"
    )
    from bench.results import read_result

    assert comparable(read_result(job.final)) == comparable(single)


def test_a_shard_measured_on_other_images_is_refused_at_merge(shared_assets, tmp_path):
    entry, protocol = ZOO.get("cifar_cnn_a_adv"), small_protocol(tmp_path, n=8)
    job = plan_sweep([(entry, protocol)], settings(tmp_path, "r", 4), 4)[0]
    for unit in job.units():
        run_unit(unit)
    partial = job.units()[1].path(".partial.json")
    state = json.loads(partial.read_text())
    partial.write_text(json.dumps(state | {"sample_ids": ["0", "1", "2", "3"]}))
    with pytest.raises(BenchError, match="measured on other images"):
        merge_job(job)
    assert not partial.exists()  # removed: the next run recomputes that shard


def test_sweep_board_counts_units_and_images():
    board = SweepBoard({"a": (10, 2), "b": (6, 1), "m": (0, 1)})
    board.start("a")
    board.advance("a", 10)  # one of a's two metrics over its 10 images
    snap = board.snapshot()
    assert (snap["work"], snap["total"], snap["images"], snap["running"], snap["pending"]) == (
        10,
        26,
        5.0,
        1,
        2,
    )
    board.finish("a", "done")
    board.start("b")
    board.finish("b", "failed")
    snap = board.snapshot()
    assert (snap["finished"], snap["failed"], snap["work"]) == (1, 1, 20)
    board.start("a")  # a retried unit counts from zero again
    assert board.snapshot()["work"] == 0


def test_cli_sweep_options_are_checked(tmp_path, capsys):
    from bench.cli.main import main

    base = ["evaluate", "--model", "cifar_cnn_a_adv", "--results", str(tmp_path)]
    for extra, message in (
        (["--shard-size", "0"], "--shard-size must be"),
        (["--address", "auto"], "need --executor ray"),
        (["--workers", "-1"], "--workers must be"),
        (["--executor", "ray", "--cpus-per-task", "0"], "--cpus-per-task must be"),
    ):
        assert main(base + extra) == 2
        assert message in capsys.readouterr().err


def test_ray_executor_without_ray_is_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(
        sys.modules, "ray", None
    )  # what an environment without the ray extra looks like
    with pytest.raises(BenchError, match=r"--executor ray needs Ray.*pip install 'bench\[ray\]'"):
        make_executor("ray")


def test_image_folders_decoded_by_dataloader_workers_match_the_main_process(shared_assets):
    from bench.data import open_testset

    inline = open_testset("imagenet", transform="Res224")
    workers = open_testset("imagenet", transform="Res224", workers=2)
    order = np.array([3, 0, 2, 1, 4])[: len(inline)]
    x0, y0 = inline.load(order)
    x2, y2 = workers.load(order)
    assert (
        x0.shape[1:] == (3, 224, 224)
        and np.array_equal(x0.numpy(), x2.numpy())
        and np.array_equal(y0, y2)
    )
    chunks = list(workers.batches(order, 2))
    assert [c[0].tolist() for c in chunks] == [
        order[i : i + 2].tolist() for i in range(0, len(order), 2)
    ]
    assert np.array_equal(np.concatenate([c[1].numpy() for c in chunks]), x0.numpy())
