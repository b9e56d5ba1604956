"""AutoAttack robust accuracy (Croce & Hein, 2020) through the ``pyautoattack`` library robustbench uses.

The attacks of the chosen version run one after another on the images still robust, exactly
as ``AutoAttack.run_standard_evaluation`` does (same batches, same seed, the same attack
objects set up the same way), but bench runs that per-batch loop itself: the clean-correct
images come from the run's one clean forward pass (the library would compute its own), the
library's checks on the type of defence run once per evaluation (not once per attack), and the
robust flags are recorded after each attack so an interrupted run resumes from the last
finished attack (:mod:`bench.metrics.autoattack_state`). AutoAttack's warnings (randomised
model, softmax output, zero gradients, ...) are kept. The progress bar moves per attack and per
batch of each attack, not from 0 to full at the end (:mod:`bench.metrics.autoattack_progress`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from bench.metrics.autoattack_progress import AttackBar
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


def perturb(adversary, attack: str, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """One batch of ``attack``, set up as the library's ``run_standard_evaluation`` sets it up
    (the attack object's loss, target mode, restarts and seed) before it calls ``perturb``."""
    if attack in ("apgd-ce", "apgd-dlr"):
        adversary.apgd.loss = "ce" if attack == "apgd-ce" else "dlr"
        adversary.apgd.seed = adversary.get_seed()
        return adversary.apgd.perturb(x, y)
    if attack in ("fab", "fab-t"):
        adversary.fab.targeted = attack == "fab-t"
        if attack == "fab-t":
            adversary.fab.n_restarts = 1
        adversary.fab.seed = adversary.get_seed()
        return adversary.fab.perturb(x, y)
    if attack in ("square", "apgd-t"):
        runner = adversary.square if attack == "square" else adversary.apgd_targeted
        runner.seed = adversary.get_seed()
        return runner.perturb(x, y)
    raise ValueError("Attack not supported")


def run_checks(adversary, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> int:
    """The library's checks on the type of defence (randomised, probability output, dynamic), run
    once per evaluation on the first batch as ``run_standard_evaluation`` runs them; the classes."""
    from bench.compat import alias_autoattack

    checks, log = alias_autoattack().checks, adversary.logger
    xb, yb = x[:batch_size].to(adversary.device), y[:batch_size].to(adversary.device)
    if adversary.version != "rand":
        checks.check_randomized(adversary.get_logits, xb, yb, bs=batch_size, logger=log)
    n_classes = checks.check_range_output(adversary.get_logits, xb, logger=log)
    checks.check_dynamic(adversary.model, xb, False, logger=log)
    return n_classes


def run_one_attack(
    adversary,
    attack: str,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """Robust flags of the clean-correct images ``x`` after one attack: the library's loop over
    batches of ``batch_size`` (its settings and seed per batch); ``on_batch(n)`` after each batch."""
    robust = torch.ones(len(x), dtype=torch.bool)
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb = x[start : start + batch_size].clone().to(adversary.device)
            yb = y[start : start + batch_size].clone().to(adversary.device)
            output = adversary.get_logits(perturb(adversary, attack, xb, yb)).max(dim=1)[1]
            robust[start : start + batch_size] = yb.eq(output).cpu()
            if on_batch is not None:
                on_batch(len(xb))
    return robust


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
        n_classes = None  # from the library's checks, run before the first attack that runs
        with kept_warnings() as messages:
            for number, attack in enumerate(adversary.attacks_to_run):
                if attack not in per_attack and robust.any():
                    n_classes = n_classes or run_checks(adversary, x, y, ctx.batch_size)
                    self._attack(ctx, adversary, (attack, number, n_classes), x, y, robust, bar)
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
    def _attack(ctx: RunContext, adversary, which: tuple, x, y, robust, bar: AttackBar) -> None:
        """Run the attack ``which`` (name, number, the model's classes) on the images still
        ``robust`` after the library's check of its target classes; clear the flags of those it
        fools, in place, moving ``bar`` per batch."""
        from bench.compat import alias_autoattack

        attack, number, n_classes = which
        alias_autoattack().checks.check_n_classes(
            n_classes,
            [attack],
            adversary.apgd_targeted.n_target_classes,
            adversary.fab.n_target_classes,
            logger=adversary.logger,
        )
        idx = robust.nonzero().flatten()
        still = run_one_attack(
            adversary,
            attack,
            x[idx].to(ctx.device),
            y[idx].to(ctx.device),
            ctx.batch_size,
            on_batch=bar.batches(number, len(idx)),
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
