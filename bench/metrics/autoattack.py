"""AutoAttack robust accuracy (Croce & Hein, 2020) through the ``pyautoattack`` library robustbench uses.

The attacks of the chosen version run one after another on the images still robust, exactly
as ``AutoAttack.run_standard_evaluation`` does (same batches, same seed), but bench records the
robust flags after each attack so an interrupted run resumes from the last finished attack
(:mod:`bench.metrics.autoattack_state`). AutoAttack's warnings (randomised model, softmax
output, zero gradients, ...) are kept. The progress bar moves per attack and per batch of each
attack, not from 0 to full at the end (:mod:`bench.metrics.autoattack_progress`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from bench.metrics.autoattack_progress import AttackBar, per_batch
from bench.metrics.autoattack_state import STATE_FILE, load_attack_state, save_attack_state
from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.metrics.state import state_path
from bench.params.autoattack import AutoAttackParams
from bench.spec import format_eps

__all__ = ["AutoAttackMetric", "AutoAttackParams", "autoattack_value", "run_one_attack"]


def autoattack_value(eps: float) -> str:
    """The value name of AutoAttack accuracy at ``eps``: ``autoattack_acc@8/255``."""
    return f"autoattack_acc@{format_eps(eps)}"


class _WarningLog(logging.Handler):
    """A logging handler that keeps the messages of the warnings AutoAttack logs."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        """Keep the record's message."""
        self.messages.append(record.getMessage())


@contextmanager
def kept_warnings() -> Iterator[list[str]]:
    """AutoAttack's warnings, logged or warned, into the list it yields: sorted, once each, at exit."""
    log, messages = _WarningLog(), []
    logging.getLogger("auto-attack").addHandler(log)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
    finally:
        logging.getLogger("auto-attack").removeHandler(log)
    messages += sorted(set(log.messages + [str(w.message) for w in caught]))


def make_adversary(model, params: AutoAttackParams, norm: str, eps: float, seed: int, device):
    """The library's ``AutoAttack`` object, configured as its version prescribes."""
    from bench.compat import alias_autoattack

    AutoAttack = alias_autoattack().AutoAttack
    adversary = AutoAttack(
        model,
        norm=norm,
        eps=eps,
        version=params.version,
        seed=seed,
        device=device,
        attacks=list(params.attacks) if params.attacks else None,
    )
    adversary.verbose = False
    return adversary


def run_one_attack(
    adversary,
    attack: str,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """Robust flags of ``x`` after one attack of the adversary's version (the library's own loop);
    ``on_batch(n)`` is called after each batch of ``n`` images it attacks."""
    configured = adversary.attacks_to_run
    adversary.attacks_to_run = [attack]
    try:
        with per_batch(adversary, on_batch):
            _, y_adv = adversary.run_standard_evaluation(x, y, batch_size=batch_size)
    finally:
        adversary.attacks_to_run = configured
    return (y_adv == y).cpu()


class AutoAttackMetric:
    """Robust accuracy under AutoAttack (Croce & Hein, 2020), resumable attack by attack."""

    name = "autoattack"
    label = "AutoAttack"
    params_schema = AutoAttackParams

    _load_state = staticmethod(load_attack_state)

    def records(self, values: dict, detail: dict, params: AutoAttackParams) -> list:
        """Robust accuracy under the version's attacks, from the per-image robust flags (exact interval)."""
        from bench.results.values import share

        name = autoattack_value(detail["eps"])
        return [
            share(
                name,
                self.name,
                "accuracy",
                detail["robust_flags"],
                higher_is_better=True,
                attack="autoattack",
                version=detail["version"],
                norm=detail["norm"],
                eps=detail["eps"],
            )
        ]

    def run(self, ctx: RunContext, params: AutoAttackParams) -> MetricOutput:
        """Run the version's attacks in turn on the still-robust images; record per-image flags."""
        norm = params.norm or ctx.protocol.threat_model
        eps = params.eps if params.eps is not None else ctx.protocol.eps
        x, y = ctx.testset.load(ctx.indices)
        adversary = make_adversary(ctx.model, params, norm, eps, ctx.seed, ctx.device)
        path = state_path(ctx, STATE_FILE)
        state = load_attack_state(path, len(ctx.indices), adversary.attacks_to_run)
        robust = (
            torch.tensor(state["robust"], dtype=torch.bool)
            if state
            else self._clean_flags(ctx, x, y)
        )
        per_attack = dict(state.get("per_attack", {}))
        bar = AttackBar(ctx.progress, len(ctx.indices), len(adversary.attacks_to_run))
        with kept_warnings() as messages:
            for number, attack in enumerate(adversary.attacks_to_run):
                if attack not in per_attack and robust.any():
                    self._attack(ctx, adversary, attack, x, y, robust, bar.batches, number)
                    per_attack[attack] = int(robust.sum()) / len(robust)
                    save_attack_state(path, robust, per_attack)
                bar.move_to(number + 1, robust=int(robust.sum()) / len(robust))
        return MetricOutput(
            values={autoattack_value(eps): int(robust.sum()) / len(robust)},
            detail={
                "version": params.version,
                "norm": norm,
                "eps": eps,
                "attacks": list(adversary.attacks_to_run),
                "accuracy_after": per_attack,
                "robust_flags": robust.int().tolist(),
                "warnings": messages,
            },
        )

    @staticmethod
    def _attack(ctx: RunContext, adversary, attack: str, x, y, robust, batches, number) -> None:
        """Run ``attack`` (number ``number``) on the images still ``robust``; clear the flags of
        those it fools, in place. ``batches(number, n)``: its per-batch progress callback."""
        idx = robust.nonzero().flatten()
        still = run_one_attack(
            adversary,
            attack,
            x[idx].to(ctx.device),
            y[idx].to(ctx.device),
            ctx.batch_size,
            on_batch=batches(number, len(idx)),
        )
        robust[idx[~still]] = False

    @staticmethod
    def _clean_flags(ctx: RunContext, x, y) -> torch.Tensor:
        """Correctly classified images: the run's shared clean predictions when it has them."""
        if ctx.predictions is not None:
            return torch.as_tensor(ctx.predictions) == y
        with torch.no_grad():
            preds = [
                ctx.model(x[i : i + ctx.batch_size].to(ctx.device)).argmax(1).cpu()
                for i in range(0, len(x), ctx.batch_size)
            ]
        return torch.cat(preds) == y


METRICS.register(AutoAttackMetric.name)(AutoAttackMetric())
