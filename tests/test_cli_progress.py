"""Progress bars as a person sees them: every bar ends full, AutoAttack's moves per attack and per batch,
and ``--json`` keeps the bars on stderr with stdout pure JSON."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from bench.data.testsets import ArrayTestSet
from bench.metrics import METRICS, RunContext
from bench.protocols import get_protocol


class RecordingBars:
    """A progress factory shaped like :func:`bench.cli.output.progress_bars`' that records every advance."""

    def __init__(self, log: list | None = None):
        self.log = [] if log is None else log

    def __call__(self, description: str, total: int):
        def advance(n: int, **status: float) -> None:
            self.log.append(("advance", n, status))

        return advance

    def advances(self) -> list[int]:
        return [entry[1] for entry in self.log if entry[0] == "advance"]


def tiny_net(channels: int = 3, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(channels, 8, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(4),
        nn.Flatten(),
        nn.Linear(128, 10),
    ).eval()


def context(model, x, y, batch_size, advance, state_dir=None, dataset="cifar10", eps=8 / 255):
    testset = ArrayTestSet("t", (x * 255).round().byte().numpy(), y.numpy(), origin="t")
    protocol = get_protocol("quick").resolve(dataset).model_copy(update={"eps": eps})
    entry = SimpleNamespace(preprocessing=SimpleNamespace(input_size=tuple(x.shape[1:])))
    return RunContext(
        model,
        entry,
        protocol,
        testset,
        np.arange(len(y)),
        batch_size,
        torch.device("cpu"),
        0,
        advance,
        state_dir=state_dir,
    )


def images(n: int, seed: int = 0, size: int = 8):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=gen), torch.randint(0, 10, (n,), generator=gen)


@pytest.mark.parametrize("batch_size,expected", [(8, [8]), (3, [3, 3, 2])])
def test_inequality_bar_ends_full_including_the_last_batch(tmp_path, batch_size, expected):
    from bench.metrics.inequality import InequalityParams

    x, y = images(8, size=8)
    bars = RecordingBars()
    params = InequalityParams.model_validate(
        {
            "attribution": {"n_steps": 2},
            "region_size": 2,
            "noise": {"k": [4]},
            "occlusion": {"budgets": [[1, 1]], "colors": ["black"]},
            "examples": 0,
        }
    )
    ctx = context(tiny_net(), x, y, batch_size, bars("inequality", 8), state_dir=tmp_path)
    METRICS.get("inequality").run(ctx, params)
    assert bars.advances() == expected  # was [] for one batch (0/8) and [3, 3] for three


def clean_correct(model, n=10, seed=4):
    x, _ = images(n, seed=seed)
    with torch.no_grad():
        return x, model(x).argmax(1)  # every image clean-correct: each attack has every batch to do


def test_autoattack_bar_moves_per_batch_while_each_attack_runs(tmp_path, monkeypatch):
    import bench.metrics.autoattack as aa
    from bench.metrics.autoattack import AutoAttackParams

    model = tiny_net(seed=3)
    x, y = clean_correct(model, n=15)
    log: list = []
    real = aa.run_one_attack

    def marked(adversary, attack, *args, **kwargs):
        log.append(("start", attack))
        flags = real(adversary, attack, *args, **kwargs)
        log.append(("end", attack))
        return flags

    monkeypatch.setattr(aa, "run_one_attack", marked)
    bars = RecordingBars(log)
    ctx = context(model, x, y, 5, bars("AutoAttack", 15), state_dir=tmp_path)
    METRICS.get("autoattack").run(
        ctx, AutoAttackParams(version="custom", attacks=("apgd-ce", "apgd-t"))
    )
    end = log.index(("end", "apgd-ce"))
    during = log[log.index(("start", "apgd-ce")) + 1 : end]
    assert [n for _, n, _ in during] == [
        2,
        3,
    ]  # batches 1 and 2 of 3 (5 of 15 images each): 1/3, 2/3 of a 7.5 share
    assert (
        log[end + 1][:2] == ("advance", 3) and "robust" in log[end + 1][2]
    )  # the attack's end fills its share
    assert sum(bars.advances()) == 15 and min(bars.advances()) >= 0
    assert (
        log[-1][0] == "advance" and "robust" in log[-1][2]
    )  # ends with the robust accuracy beside the bar


def test_autoattack_bar_ends_full_when_resumed_or_nothing_is_left(tmp_path):
    from bench.metrics.autoattack import AutoAttackParams

    model = tiny_net(seed=3)
    x, y = clean_correct(model)
    params = AutoAttackParams(version="custom", attacks=("apgd-ce", "apgd-t"))
    METRICS.get("autoattack").run(context(model, x, y, 5, None, state_dir=tmp_path), params)
    resumed = RecordingBars()
    METRICS.get("autoattack").run(
        context(model, x, y, 5, resumed("AutoAttack", 10), state_dir=tmp_path), params
    )
    assert sum(resumed.advances()) == 10  # both attacks finished before: the bar still fills
    wrong = RecordingBars()
    METRICS.get("autoattack").run(
        context(model, x, (y + 1) % 10, 5, wrong("AutoAttack", 10), state_dir=tmp_path / "wrong"),
        params,
    )
    assert sum(wrong.advances()) == 10  # no image clean-correct: no attack runs, the bar fills


def test_bars_go_to_stderr_and_leave_stdout_alone_on_a_terminal(capsys, monkeypatch):
    from rich.console import Console

    from bench.cli import output

    monkeypatch.setattr(output, "stderr", Console(stderr=True, force_terminal=True, width=100))
    with output.progress_bars() as factory:
        factory("work", 4)(4)
        output.print_json(
            {"inside": "the bars"}
        )  # rich's default redirect_stdout would send this to stderr
    out, err = capsys.readouterr()
    assert json.loads(out) == {"inside": "the bars"}
    assert "work" in err and "4/4" in err


def test_bars_on_a_stderr_that_is_not_a_terminal_are_one_line_each_when_done(capsys):
    from bench.cli import output

    with output.progress_bars() as factory:
        work, other = factory("model: Inequality", 4), factory("model: AutoAttack", 3)
        work(2)
        other(3, robust=0.25)
        work(2, loss=0.5)
        output.print_json([1])
    out, err = capsys.readouterr()
    assert json.loads(out) == [1]
    lines = err.splitlines()
    assert re.fullmatch(r"model: AutoAttack: 3/3 in \d+\.\d s, robust 0\.25", lines[0])
    assert (
        re.fullmatch(r"model: Inequality: 4/4 in \d+\.\d s, loss 0\.5", lines[1])
        and len(lines) == 2
    )


def test_transfer_json_keeps_the_progress_bars(capsys, monkeypatch):
    import bench.transfer
    from bench.cli.main import main

    seen = {}

    def fake_table(entries, protocol, progress=None, **kwargs):
        seen["progress"] = progress
        if progress is not None:
            progress("crafting", 2)(2)
        return SimpleNamespace(models=[e.id for e in entries], sample_ids=["0", "1"], counts={})

    monkeypatch.setattr(bench.transfer, "transfer_table", fake_table)
    monkeypatch.setattr(bench.transfer, "render_markdown", lambda table, title: title)
    assert (
        main(["transfer", "--models", "cifar_smallgap_normal", "cifar_smallgap_adv", "--json"]) == 0
    )
    out, err = capsys.readouterr()
    assert json.loads(out)["models"] == ["cifar_smallgap_normal", "cifar_smallgap_adv"]
    assert seen["progress"] is not None and "crafting" in err and "2/2" in err
    assert (
        main(
            [
                "transfer",
                "--models",
                "cifar_smallgap_normal",
                "cifar_smallgap_adv",
                "--json",
                "--no-progress",
            ]
        )
        == 0
    )
    assert seen["progress"] is None and "crafting" not in capsys.readouterr().err


def test_training_with_progress_bars_raises_no_torch_user_warning(tmp_path):
    """``bench demo`` printed torch's "Converting a tensor with requires_grad=True to a scalar" on every run:
    the loss shown beside the training bar was read from the graph. Warnings are errors here, bars on."""
    import os
    import subprocess
    import sys

    command = [
        sys.executable,
        "-W",
        "error::UserWarning",
        "-m",
        "bench.cli.main",
        "train",
        "--recipe",
        "digits-pgd-at",
        "--dataset",
        "digits",
        "--arch",
        "digits_gap",
        "--epochs",
        "1",
        "--warmup-steps",
        "2",
        "--out",
        str(tmp_path / "run"),
        "--device",
        "cpu",
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "BENCH_CACHE": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    assert "UserWarning" not in done.stderr and "loss" in done.stderr, (
        done.stderr
    )  # the bar showed the loss


def test_submit_json_prints_only_the_result_on_stdout(tmp_path, capsys, monkeypatch):
    import bench.cli.cmd_evaluate
    import bench.leaderboard.write
    from bench.cli.main import main
    from bench.cli.output import print_json

    checkpoint = tmp_path / "net.pt"
    checkpoint.write_bytes(b"weights")
    entry = tmp_path / "entry.yaml"
    entry.write_text(
        "id: my_net\ndataset: cifar10\nnum_classes: 10\ntraining: {method: standard, threat_model: none}\n"
        f"architecture: {{name: cnn_a}}\nsource: {{loader: user_checkpoint, path: {checkpoint}}}\n"
        "preprocessing: {input_size: [3, 32, 32]}\n"
    )
    monkeypatch.setattr(
        bench.cli.cmd_evaluate, "evaluate_entry", lambda e, zoo, args: print_json({"model": e.id})
    )
    monkeypatch.setattr(
        bench.leaderboard.write, "write_leaderboards", lambda results, out: ["README.md"]
    )
    assert main(["submit", str(entry), "--json", "--results", str(tmp_path / "r" / "results")]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"model": "my_net"} and "Leaderboards updated: 1 pages" in " ".join(
        err.split()
    )
