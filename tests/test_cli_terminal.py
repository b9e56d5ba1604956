"""The CLI as a person uses it: in a pipe, in an 80-column terminal, with --json, with options where they type them."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import shlex
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from bench.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def bench_command() -> list[str]:
    """The installed console script when there is one (as a person runs it), else the module."""
    script = Path(sys.executable).with_name("bench")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bench.cli.main"]


def run_in_terminal(args: list[str], columns: int = 80) -> str:
    """Run bench with stdout and stderr on a pseudo-terminal ``columns`` wide; its screen text, colours removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None), env.pop("FORCE_COLOR", None)
    proc = subprocess.Popen(
        [*bench_command(), *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    return ANSI.sub("", b"".join(chunks).decode()).replace("\r", "")


def test_list_through_a_real_pipe_prints_each_id_once_and_whole():
    command = f"{shlex.join(bench_command())} list | grep -c resnet50_linf_eps8"
    out = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "1"
    listed = subprocess.run(
        [*bench_command(), "list"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    from bench.zoo.catalog import Zoo

    ids = [line.split()[0] for line in listed.splitlines()[1:]]
    assert (
        ids == list(Zoo.load().entries) and "│" not in listed
    )  # plain rows, no box, nothing wrapped


def test_list_in_an_80_column_terminal_keeps_ids_whole():
    screen = run_in_terminal(["list", "--dataset", "mnist"])
    from bench.zoo.catalog import Zoo

    mnist = [e.id for e in Zoo.load().entries.values() if e.dataset == "mnist"]
    assert all(len(line) <= 80 for line in screen.splitlines())
    assert all(re.search(rf"\b{re.escape(i)}\b", screen) for i in mnist)
    assert (
        "bench registry" in screen and "--robustbench" in screen
    )  # the terminal keeps the title and the hint


def test_protocols_in_an_80_column_terminal_is_one_line_per_protocol():
    from bench.protocols import protocol_files

    screen = run_in_terminal(["protocols"])
    lines = screen.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for name in protocol_files():
        assert sum(line.split()[:1] == [name] for line in lines) == 1, (
            name
        )  # whole, at the start of one line
    long = run_in_terminal(["protocols", "--long"])
    assert all(len(line) <= 80 for line in long.splitlines())
    assert (
        "metrics: clean_accuracy" in long and "RobustBench: 10000" in long
    )  # whole descriptions, wrapped


def test_protocols_json(capsys):
    from bench.protocols import get_protocol, protocol_files

    assert main(["protocols", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in listed] == list(protocol_files())
    assert main(["protocols", "quick", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == get_protocol("quick").model_dump(mode="json")


def test_table_json_has_the_markdown_tables_rows(capsys):
    args = [
        "table",
        "--protocols",
        "cifar10-default",
        "cifar10-inequality-code",
        "--models",
        "cifar_smallgap_adv",
        "cifar_cnn_a_adv",
    ]
    assert main(args) == 0
    markdown = capsys.readouterr().out
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["protocol"] for t in data["tables"]] == ["cifar10-default", "cifar10-inequality-code"]
    for table in data["tables"]:
        assert [r["model"] for r in table["rows"]] == ["cifar_smallgap_adv", "cifar_cnn_a_adv"]
        for row in table["rows"]:
            for value in row["values"]:
                assert value["label"] in markdown and {
                    "value",
                    "ci_low",
                    "n",
                    "higher_is_better",
                } <= set(value)
    clean = data["tables"][0]["rows"][0]["values"][0]
    assert clean["name"] == "clean_accuracy" and f"{100 * clean['value']:.1f}" in markdown


def sub_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def options_without_help(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
    """Options and positionals of ``parser`` and its nested sub-commands (bench export robustbench) with no help."""
    missing = []
    for action in parser._actions:
        if isinstance(
            action, argparse._SubParsersAction
        ):  # its choices list themselves; check each one's options
            for name, nested in action.choices.items():
                missing += options_without_help(nested, f"{prefix} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append(f"{prefix} {'/'.join(action.option_strings) or action.dest}")
    return missing


@pytest.mark.parametrize("command", sorted(sub_parsers()))
def test_every_option_of_every_command_has_help(command):
    missing = options_without_help(sub_parsers()[command], f"bench {command}")
    assert not missing, f"no help: {missing}"


def test_assets_is_accepted_before_and_after_the_subcommand(tmp_path, monkeypatch):
    from bench import assets

    seen = []
    monkeypatch.setattr(assets, "set_assets_dir", lambda path: seen.append(path))
    for argv in (
        ["--assets", str(tmp_path), "list", "--loaders"],
        ["list", "--loaders", "--assets", str(tmp_path)],
    ):
        assert main(argv) == 0
    assert seen == [str(tmp_path), str(tmp_path)]
    assert main(["list", "--loaders"]) == 0 and seen[-1] is None  # not given: $BENCH_ASSETS decides
    assert (
        main(["list", "--assets", str(tmp_path / "missing")]) == 2
    )  # checked the same way after the command


def test_train_help_names_only_options_that_exist(capsys):
    from bench.training.recipe import recipe_files

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = capsys.readouterr().out
    options = {o for a in sub_parsers()["train"]._actions for o in a.option_strings}
    own = re.sub(
        r"`[^`]*`", "", help_text
    )  # `bench list --architectures` names another command's option
    assert set(re.findall(r"--[a-z][a-z-]+", own)) <= options and "--list-recipes" in options
    assert main(["train", "--list-recipes"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[0] for row in rows] == list(recipe_files())
    assert main(["train", "--recipe", "pgd-at"]) == 2
    assert "needs --dataset, --arch" in " ".join(capsys.readouterr().err.split())


def test_demo_summary_fits_80_columns_with_every_measure_whole():
    import io
    from types import SimpleNamespace

    from rich.console import Console

    from bench.cli.cmd_demo import _summary
    from bench.leaderboard.columns import BATTERY_COLUMNS
    from bench.results.values import Value

    def values(shift: float) -> list[Value]:
        return [
            Value(
                name=c.label,
                metric=c.metric,
                quantity=c.quantity,
                params=dict(c.params),
                n=500,
                unit="score" if c.quantity in ("gini_global", "gini_regional", "tau") else "share",
                higher_is_better=c.higher_is_better,
                value=0.123456 + shift,
            )
            for c in BATTERY_COLUMNS
        ]

    results = [
        SimpleNamespace(
            model=SimpleNamespace(training=SimpleNamespace(eps=eps)), values=values(eps)
        )
        for eps in (0.0, 0.1, 0.2, 0.3)
    ]
    console = Console(file=io.StringIO(), width=80)
    console.print(_summary(results, "digits-battery-linf"))
    screen = console.file.getvalue()
    assert "…" not in screen and all(len(line) <= 80 for line in screen.splitlines())
    for c in BATTERY_COLUMNS:
        assert re.search(rf"│ {re.escape(c.label)}\b", screen), (
            c.label
        )  # one row per measure, its name whole
    assert (
        "train ε 0.3" in screen and "42.3" in screen and "0.423" in screen
    )  # 0.123456 + 0.3: share ×100, score


def test_show_in_a_pipe_prints_yaml_that_parses_back_to_the_entry():
    """`bench show ID | …` must stay YAML: no wrapping at the pipe's 80 columns."""
    import subprocess
    import sys

    import yaml

    from bench.zoo.catalog import Zoo

    model = "densenet_l2_eps3"
    out = subprocess.run(
        [sys.executable, "-m", "bench.cli.main", "show", model],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "COLUMNS": "80"},
    ).stdout
    assert yaml.safe_load(out) == Zoo.load().get(model).model_dump(
        mode="json", exclude_defaults=True
    )
