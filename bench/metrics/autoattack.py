"""AutoAttack robust accuracy (Croce & Hein, 2020) through the ``pyautoattack`` library robustbench uses.

The attacks of the chosen version run one after another on the images still robust, exactly
as ``AutoAttack.run_standard_evaluation`` does (same batches, same seed), but bench records the
robust flags after each attack so an interrupted run resumes from the last finished attack.
(pyautoattack 0.2.0's own ``state_path`` resume fails with a NameError once a state is restored.)
AutoAttack's warnings (randomised model, softmax output, zero gradients, ...) are kept. The
progress bar moves per attack and per batch of each attack (each attack object's ``perturb`` is
wrapped while the library's loop runs), not from 0 to full at the end.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import torch

from bench.metrics.base import METRICS, MetricOutput, RunContext, discard_state
from bench.params.autoattack import AutoAttackParams
from bench.spec import format_eps


def autoattack_value(eps: float) -> str:
    """The value name of AutoAttack accuracy at ``eps``: ``autoattack_acc@8/255``."""
    return f"autoattack_acc@{format_eps(eps)}"


class _WarningLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        """Keep the record's message."""
        self.messages.append(record.getMessage())


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
        with _per_batch(adversary, on_batch):
            _, y_adv = adversary.run_standard_evaluation(x, y, batch_size=batch_size)
    finally:
        adversary.attacks_to_run = configured
    return (y_adv == y).cpu()


ATTACK_OBJECTS = (
    "apgd",
    "apgd_targeted",
    "fab",
    "square",
)  # what run_standard_evaluation calls .perturb on per batch


@contextmanager
def _per_batch(adversary, on_batch: Callable[[int], None] | None):
    """Wrap the ``perturb`` of each attack object of ``adversary`` so each batch it attacks calls ``on_batch``."""
    attacks = (getattr(adversary, name, None) for name in ATTACK_OBJECTS)
    wrapped = [a for a in attacks if a is not None] if on_batch else []
    for attack in wrapped:

        def perturb(x, *args, _perturb=attack.perturb, **kwargs):
            out = _perturb(x, *args, **kwargs)
            on_batch(len(x))
            return out

        attack.perturb = perturb  # an instance attribute over the class's method
    try:
        yield
    finally:
        for attack in wrapped:
            del attack.perturb


class _AttackBar:
    """The metric's bar (total: the images) through the attacks: each attack owns an equal share of it,
    filled batch by batch as the share of that attack's images attacked so far."""

    def __init__(self, advance: Callable[..., None] | None, total: int, n_attacks: int):
        self.advance, self.total, self.n_attacks, self.shown = advance, total, max(n_attacks, 1), 0

    def move_to(self, attacks_done: float, **status: float) -> None:
        """Advance the bar to ``attacks_done`` attacks' shares (with ``status`` on the bar)."""
        target = min(self.total, round(self.total * attacks_done / self.n_attacks))
        if self.advance is not None and (target > self.shown or status):
            self.advance(target - self.shown, **status)
            self.shown = target

    def batches(self, attack_number: int, n_images: int) -> Callable[[int], None]:
        """``on_batch`` for attack number ``attack_number`` (0-based) run on ``n_images`` images."""
        attacked = 0

        def on_batch(n: int) -> None:
            nonlocal attacked
            attacked += n
            if (
                attacked < n_images
            ):  # the attack's last batch: the caller's move_to fills its share, with the status
                self.move_to(attack_number + attacked / n_images)

        return on_batch


class AutoAttackMetric:
    """Robust accuracy under AutoAttack (Croce & Hein, 2020), resumable attack by attack."""

    name = "autoattack"
    label = "AutoAttack"
    params_schema = AutoAttackParams

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
        state_file = self._state_file(ctx)
        state = self._load_state(state_file, len(ctx.indices), adversary.attacks_to_run)
        robust = (
            torch.tensor(state["robust"], dtype=torch.bool)
            if state
            else self._clean_flags(ctx, x, y)
        )
        per_attack, log = dict(state.get("per_attack", {})), _WarningLog()
        bar = _AttackBar(ctx.progress, len(ctx.indices), len(adversary.attacks_to_run))
        logging.getLogger("auto-attack").addHandler(log)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for number, attack in enumerate(adversary.attacks_to_run):
                    if attack not in per_attack and robust.any():
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
                        per_attack[attack] = int(robust.sum()) / len(robust)
                        self._save(state_file, robust, per_attack)
                    bar.move_to(number + 1, robust=int(robust.sum()) / len(robust))
        finally:
            logging.getLogger("auto-attack").removeHandler(log)
        messages = sorted(set(log.messages + [str(w.message) for w in caught]))
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

    @staticmethod
    def _load_state(path: Path | None, n: int, attacks: list[str]) -> dict:
        """The robust flags after the attacks an interrupted run finished; {} when none or not usable."""
        if path is None or not path.is_file():
            return {}
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            robust, per_attack = state["robust"], state["per_attack"]
            ok = (
                isinstance(robust, list)
                and len(robust) == n
                and all(r in (0, 1, True, False) for r in robust)
                and isinstance(per_attack, dict)
                and set(per_attack) <= set(attacks)
                and all(isinstance(v, (int, float)) for v in per_attack.values())
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            discard_state(path, f"unreadable ({type(exc).__name__})")
            return {}
        if not ok:
            discard_state(path, "it does not describe this run's images and attacks")
            return {}
        return state

    @staticmethod
    def _state_file(ctx: RunContext) -> Path | None:
        return ctx.state_dir / "autoattack.state.json" if ctx.state_dir else None

    @staticmethod
    def _save(path: Path | None, robust: torch.Tensor, per_attack: dict) -> None:
        if path is not None:
            from bench.results.store import write_json_atomic

            write_json_atomic(path, {"robust": robust.tolist(), "per_attack": per_attack})


METRICS.register(AutoAttackMetric.name)(AutoAttackMetric())
