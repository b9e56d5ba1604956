"""AutoAttack's progress on the metric's bar: per attack, and per batch while each attack runs.

bench runs the library's per-batch loop itself (:func:`bench.metrics.autoattack.run_one_attack`)
and calls the bar's ``on_batch`` after each batch; nothing of the library is wrapped.
"""

from __future__ import annotations

from collections.abc import Callable


class AttackBar:
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
            # not on the attack's last batch: the caller's move_to fills its share, with the status
            if attacked < n_images:
                self.move_to(attack_number + attacked / n_images)

        return on_batch
