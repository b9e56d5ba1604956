"""RobustBench's own metadata of its zoo, kept as data: ``bench/zoo/data/robustbench_model_info.json``.

RobustBench describes each leaderboard entry in ``model_info/<dataset>/<threat>/<name>.json``
(paper ``name`` and ``link``, ``authors``, ``venue``, ``architecture``, ``eps``, and its
``clean_acc`` / ``autoattack_acc`` / ``corruptions_acc`` as percentage strings). This module
reads the copy stored with bench (records exactly as RobustBench writes them, plus the
repository commit they come from) and rebuilds it from a checkout::

    python -m bench.zoo.robustbench_info CHECKOUT     # a work tree, or a bare git directory

Nothing here imports torch or robustbench: the leaderboard renderer uses it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.spec import format_eps, parse_eps

DATA_FILE = Path(__file__).parent / "data" / "robustbench_model_info.json"
REPOSITORY = "RobustBench/robustbench"
# model_info's percentage fields and the bench value each becomes (the eps is filled in).
ACCURACY_FIELDS = {
    "clean_acc": "clean_accuracy",
    "autoattack_acc": "autoattack_acc@{eps}",
    "corruptions_acc": "corruptions_accuracy",
}


@lru_cache(maxsize=1)
def model_info_table() -> dict[str, Any]:
    """The stored table: ``{"source": {repository, commit, path}, "models": {"<dataset>/<threat>/<name>": record}}``."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def model_info(dataset: str, threat_model: str, name: str) -> dict[str, Any] | None:
    """RobustBench's record of one zoo entry, or None when its model_info has none."""
    return model_info_table()["models"].get(f"{dataset}/{threat_model}/{name}")


def source_commit() -> str:
    """The RobustBench commit the stored records were read from."""
    return model_info_table()["source"]["commit"]


def reported_values(info: dict[str, Any]) -> dict[str, float]:
    """The record's accuracies as bench values (fractions), under bench's value names."""
    eps = float(parse_eps(info["eps"])) if info.get("eps") else None
    out = {}
    for field, name in ACCURACY_FIELDS.items():
        text = info.get(field)
        if isinstance(text, str) and text.strip():
            out[name.format(eps=format_eps(eps))] = round(float(text) / 100, 6)
    return out


def robustbench_record(entry, values: list) -> list[str]:
    """Markdown lines for a ``robustbench`` entry's model page: RobustBench's record beside bench's ``values``.

    Empty for other entries and for names RobustBench has no record of.
    """
    src = entry.source
    info = (
        model_info(src.dataset, src.threat_model, src.name) if src.loader == "robustbench" else None
    )
    if info is None:
        return []
    from bench.leaderboard.columns import cell

    ours = {v.name: v for v in values}
    extra = "yes" if info["additional_data"] else "no"
    about = (
        f"From `model_info/{src.dataset}/{src.threat_model}/{src.name}.json` of RobustBench (commit "
        f"`{source_commit()[:7]}`): [{info['name']}]({info['link']}), {info['authors']}, {info['venue']}; "
        f"architecture {info['architecture']}; extra training data: {extra}."
    )
    lines = [
        "",
        "## RobustBench's record",
        "",
        about,
        "",
        "| Value | RobustBench reports | bench measured |",
        "|---|---|---|",
    ]
    for name, figure in reported_values(info).items():
        mine = ours.get(name)
        lines.append(
            f"| {name} | {100 * figure:.2f} | {cell(mine) + f' (n = {mine.n})' if mine else '-'} |"
        )
    return lines


def read_checkout(checkout: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """Every ``model_info`` record of a RobustBench checkout (work tree or bare git dir) and its commit."""
    git = (
        ["git", f"--git-dir={checkout / '.git'}"]
        if (checkout / ".git").exists()
        else ["git", f"--git-dir={checkout}"]
    )
    commit = _git(git, "rev-parse", "HEAD").strip()
    names = [
        n
        for n in _git(git, "ls-tree", "-r", "--name-only", "HEAD", "model_info").split()
        if n.endswith(".json") and n.count("/") == 3
    ]
    records = {
        n[len("model_info/") : -len(".json")]: json.loads(_git(git, "show", f"HEAD:{n}"))
        for n in sorted(names)
    }
    return records, commit


def _git(git: list[str], *args: str) -> str:
    return subprocess.run([*git, *args], capture_output=True, text=True, check=True).stdout


def write_table(checkout: Path, out: Path = DATA_FILE) -> int:
    """Rebuild the stored table from ``checkout``; returns the number of records."""
    records, commit = read_checkout(checkout)
    table = {
        "source": {
            "repository": REPOSITORY,
            "commit": commit,
            "path": "model_info/<dataset>/<threat>/<name>.json",
        },
        "models": records,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(table, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return len(records)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m bench.zoo.robustbench_info CHECKOUT")
    print(f"{write_table(Path(sys.argv[1]))} records written to {DATA_FILE}")
