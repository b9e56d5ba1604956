"""Sanity checks that flag likely gradient masking (Athalye et al., 2018; paper 001 §5.1, App. G).

A pure function of a result's value records and details. An honest, deterministic attack on
the same images gives accuracy that does not rise with ε or with the number of steps and is
not beaten by its own one-step version; AutoAttack should not be weaker than PGD. Gradients
that are exactly zero at clean points are flagged, as AutoAttack's own check does, and
AutoAttack's warnings are passed on. Budgets come from each record's parameters.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

TOLERANCE = (
    0.01  # one point of accuracy, and never less than one image: last-iterate PGD with a fixed
)
# step is not exactly monotone, and a single image moving is noise, not masking


def _pgd_table(values: list) -> dict[float, dict[int, tuple[str, float]]]:
    """ε → steps → (value name, accuracy), over the PGD records with ε > 0."""
    table: dict[float, dict[int, tuple[str, float]]] = defaultdict(dict)
    for v in values:
        if v.matches("pgd_grid", "accuracy", attack="pgd") and v.value is not None:
            table[float(v.params["eps"])][int(v.params["steps"])] = (v.name, v.value)
    return table


def _at_eps(values: list, metric: str, eps: float, **params):
    """The value of ``metric`` at budget ``eps`` (a record with that ε), or None."""
    found = [
        v
        for v in values
        if v.matches(metric, "accuracy", eps=eps, **params) and v.value is not None
    ]
    return found[0].value if found else None


def _rises(pairs: list[tuple[str, float]], what: str, tol: float) -> list[str]:
    return [
        f"accuracy rises with {what}: {b[0]} = {b[1]:.3f} > {a[0]} = {a[1]:.3f}"
        for a, b in zip(pairs, pairs[1:])
        if b[1] > a[1] + tol
    ]


def _saturated_survivors(
    table: dict[float, dict[int, tuple[str, float]]], grid: dict[str, Any]
) -> list[str]:
    """How many of the images the strongest PGD at the largest ε leaves correct have a zero gradient there."""
    zero_flags, robust = grid.get("zero_gradient_flags"), grid.get("robust_flags", {})
    if not zero_flags or not table:
        return []
    by_steps = table[max(table)]
    name = by_steps[max(by_steps)][0]
    kept = robust.get(name) if isinstance(robust, dict) else None
    if not kept or len(kept) != len(zero_flags) or not any(kept):
        return []
    both = sum(1 for k, z in zip(kept, zero_flags) if k and z)
    if not both:
        return []
    return [
        f"{both} of the {sum(kept)} images still correct under {name} have an all-zero input gradient: "
        "their robustness is saturation (gradient masking), not robustness"
    ]


def _budget_flags(values: list, table, tol: float) -> list[str]:
    flags: list[str] = []
    for steps in sorted({k for by_steps in table.values() for k in by_steps}):
        flags += _rises([table[e][steps] for e in sorted(table) if steps in table[e]], "ε", tol)
    for eps, by_steps in sorted(table.items()):
        flags += _rises([by_steps[k] for k in sorted(by_steps)], "PGD steps", tol)
        strongest = by_steps[max(by_steps)]
        one_step = _at_eps(values, "pgd_grid", eps, attack="fgsm")
        if one_step is not None and strongest[1] > one_step + tol:
            flags.append(
                f"one-step attack beats PGD: fgsm {one_step:.3f} < {strongest[0]} = {strongest[1]:.3f}"
            )
        aa = _at_eps(values, "autoattack", eps)
        if aa is not None and aa > strongest[1] + tol:
            flags.append(
                f"AutoAttack weaker than PGD: {aa:.3f} > {strongest[0]} = {strongest[1]:.3f}"
            )
    return flags


def masking_flags(values: list, details: dict[str, Any], n_images: int = 1000) -> list[str]:
    """Human-readable flags; an empty list means no sign of gradient masking was found."""
    tol = max(TOLERANCE, 1 / max(n_images, 1)) + 1e-9
    table = _pgd_table(values)
    flags = _budget_flags(values, table, tol)
    grid = details.get("pgd_grid", {})
    zero = grid.get("zero_gradient_images", 0)
    if zero:
        flags.append(f"{zero} images have an all-zero input gradient at the clean point")
        flags += _saturated_survivors(table, grid)
    flags += [f"AutoAttack: {w}" for w in details.get("autoattack", {}).get("warnings", [])]
    return flags
