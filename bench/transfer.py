"""Transferability of the inductive attacks (paper 000, appendix A.4).

Noised and occluded images are crafted on a source model and shown to a target model. The
images are those every listed model classifies correctly (as the paper selects them); a cell
is the share of the source's *successful* corruptions that the target also misclassifies, so
the diagonal is 100% by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from bench.data import open_testset, select_samples
from bench.devices import resolve_device
from bench.errors import SpecError
from bench.metrics.inequality import (
    InequalityParams,
    check_fits,
    inequality_batch,
    noise_value,
    occlusion_value,
)
from bench.protocols import Protocol
from bench.zoo.model import load_model
from bench.zoo.schema import ModelEntry


@dataclass
class TransferTable:
    """Per attack, source and target model: (target fooled, source successes) counts."""

    models: list[str]
    attacks: list[str]
    # attack → source → target → (fooled, successes on the source)
    counts: dict[str, dict[str, dict[str, list[int]]]] = field(default_factory=dict)
    sample_ids: list[str] = field(default_factory=list)

    def rate(self, attack: str, source: str, target: str) -> float:
        """The share of the source's successful corruptions that fool the target (NaN if none)."""
        fooled, total = self.counts[attack][source][target]
        return fooled / total if total else float("nan")


def main_attacks(params: InequalityParams) -> list[str]:
    """The attacks of the protocol's main budgets (the board's Noise-I/II and Occ columns)."""
    names = []
    if params.noise:
        names += [
            noise_value("noise_i", params.noise.main),
            noise_value("noise_ii", params.noise.main),
        ]
    if params.occlusion:
        names += [occlusion_value(c, params.occlusion.budgets[0]) for c in params.occlusion.colors]
    return names


def main_budgets_only(params: InequalityParams) -> InequalityParams:
    """The protocol's parameters restricted to the main noise k and the first occlusion budget."""
    update = {}
    if params.noise:
        update["noise"] = params.noise.model_copy(
            update={"k": (params.noise.main,), "main_k": params.noise.main}
        )
    if params.occlusion:
        update["occlusion"] = params.occlusion.model_copy(
            update={"budgets": params.occlusion.budgets[:1]}
        )
    return params.model_copy(update=update)


def check_transferable(entries: list[ModelEntry], protocol: Protocol) -> None:
    """A SpecError unless the models share a data set and inputs and ``protocol`` can craft attacks."""
    if "inequality" not in protocol.metrics:
        raise SpecError(
            f"Protocol {protocol.name!r} has no inequality metric to craft attacks with."
        )
    if len({e.dataset for e in entries}) != 1:
        raise SpecError(
            "Transfer needs models of one data set: "
            + ", ".join(f"{e.id} ({e.dataset})" for e in entries)
        )
    if len({(e.preprocessing.transform, tuple(e.preprocessing.input_size)) for e in entries}) != 1:
        raise SpecError(
            "Transfer needs models that see the same images (same preprocessing transform and input "
            "size): " + ", ".join(f"{e.id} ({e.preprocessing.transform})" for e in entries)
        )


def correct_by_all(testset, protocol: Protocol, models: dict, dev, batch_size: int) -> np.ndarray:
    """The protocol's selection restricted to the images every model classifies correctly."""
    selection = protocol.selection.model_copy(update={"only_correct": True})
    predictors = [lambda x, m=m: m(x.to(dev)).argmax(1) for m in models.values()]
    with torch.no_grad():
        return select_samples(testset, selection, predictors, batch_size)


def transfer_table(
    entries: list[ModelEntry],
    protocol: Protocol,
    *,
    batch_size: int = 100,
    device: str | None = None,
    seed: int = 0,
    data_dir=None,
    progress=None,
) -> TransferTable:
    """Craft on each model, evaluate on every model; ``protocol`` must hold an ``inequality`` metric."""
    check_transferable(entries, protocol)
    params = main_budgets_only(protocol.params("inequality"))
    check_fits(params, entries[0].preprocessing.input_size)
    dev = resolve_device(device)
    models = {e.id: load_model(e, dev) for e in entries}
    testset = open_testset(
        protocol.dataset, data_dir=data_dir, transform=entries[0].preprocessing.transform
    )
    indices = correct_by_all(testset, protocol, models, dev, batch_size)
    table = TransferTable(
        list(models), main_attacks(params), sample_ids=[testset.ids[i] for i in indices]
    )
    table.counts = {a: {s: {t: [0, 0] for t in models} for s in models} for a in table.attacks}
    advance = progress("transfer", len(indices) * len(models)) if progress else None
    for start in range(0, len(indices), batch_size):
        idx = indices[start : start + batch_size]
        x, y = (t.to(dev) for t in testset.load(idx))
        for source, model in models.items():
            record = inequality_batch(model, x, y, idx, params, seed, batch_size, keep_images=True)
            _count(table, source, record, models, y, batch_size)
            if advance:
                advance(len(idx))
    return table


@torch.no_grad()
def _count(table: TransferTable, source: str, record, models, y, batch_size) -> None:
    for attack in table.attacks:
        success = (
            record.noise[attack] if attack in record.noise else record.occlusion[attack]["success"]
        )
        success = torch.from_numpy(np.asarray(success, dtype=bool))
        images = record.images[attack][success].to(y.device)
        labels = y[torch.from_numpy(record.correct).to(y.device)][
            success.to(y.device)
        ]  # attacks ran on correct images
        for target, model in models.items():
            fooled = (
                (torch.cat([model(b).argmax(1) for b in images.split(batch_size)]) != labels)
                if len(images)
                else torch.zeros(0, dtype=torch.bool, device=y.device)
            )
            # on the source itself the success flag is the count (the [0,1] round trip may move a tie)
            cell = table.counts[attack][source][target]
            cell[0] += int(success.sum()) if target == source else int(fooled.sum())
            cell[1] += int(success.sum())


def render_markdown(table: TransferTable, title: str) -> str:
    """One block per attack: rows crafted on, columns evaluated on, cells in % (successes on the source)."""
    lines = [
        f"## {title}",
        "",
        f"{len(table.sample_ids)} images classified correctly by every model. "
        "Cell: share of the source model's successful corruptions that the target model also "
        "misclassifies (%), with the number of successes on the source.",
        "",
    ]
    for attack in table.attacks:
        lines += [
            f"### `{attack}`",
            "",
            "| crafted on ↓ / evaluated on → | " + " | ".join(table.models) + " |",
            "|---|" + "---|" * len(table.models),
        ]
        for source in table.models:
            cells = [
                f"{100 * r:.1f}" if (r := table.rate(attack, source, t)) == r else "–"
                for t in table.models
            ]
            n = table.counts[attack][source][source][1]
            lines.append(f"| {source} (n = {n}) | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
