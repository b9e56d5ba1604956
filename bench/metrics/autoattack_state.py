"""The resumable state of an AutoAttack run: the robust flags after each attack it finished.

Saved (atomically) after every attack, so an interrupted run resumes from the last finished one
(pyautoattack 0.2.0's own ``state_path`` resume fails with a NameError once a state is
restored). A state that does not describe this run's images and attacks is discarded with a
warning and the attacks run again.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from bench.metrics.base import discard_state
from bench.metrics.state import read_state

STATE_FILE = "autoattack.state.json"
STATE_ERRORS = (ValueError, KeyError, TypeError, UnicodeDecodeError)
"""What reading a damaged or foreign state file raises."""


def _read(path: Path) -> dict:
    """The two fields of the state in ``path`` (KeyError / TypeError where there are not both)."""
    state = json.loads(path.read_text(encoding="utf-8"))
    return {"robust": state["robust"], "per_attack": state["per_attack"]}


def describes(state: dict, n: int, attacks: list[str]) -> bool:
    """Whether ``state`` holds a 0/1 flag per image of ``n`` and accuracies of known attacks only."""
    robust, per_attack = state["robust"], state["per_attack"]
    return (
        isinstance(robust, list)
        and len(robust) == n
        and all(r in (0, 1, True, False) for r in robust)
        and isinstance(per_attack, dict)
        and set(per_attack) <= set(attacks)
        and all(isinstance(v, (int, float)) for v in per_attack.values())
    )


def load_attack_state(path: Path | None, n: int, attacks: list[str]) -> dict:
    """The robust flags after the attacks an interrupted run finished; {} when none or not usable."""
    state = read_state(path, _read, STATE_ERRORS, "unreadable") if path is not None else None
    if state is None:
        return {}
    if not describes(state, n, attacks):
        discard_state(path, "it does not describe this run's images and attacks")
        return {}
    return state


def save_attack_state(path: Path | None, robust: torch.Tensor, per_attack: dict) -> None:
    """Record the robust flags and the accuracy after each finished attack (when state is kept)."""
    if path is not None:
        from bench.results.store import write_json_atomic

        write_json_atomic(path, {"robust": robust.tolist(), "per_attack": per_attack})
