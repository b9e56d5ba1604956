"""The training loop: seeded, resumable from the last finished epoch, with a progress display.

Randomness is derived from (recipe seed, epoch) for shuffling and (recipe seed, step) for the
inner attacks and Cutout, never from global state, so a run resumed from its epoch checkpoint
ends with the same weights as one that never stopped. Outputs in ``out``:
``model.pt`` (a plain state dict, loadable with ``weights_only=True``), ``train_log.jsonl``
(one line per epoch), ``recipe.yaml`` (the resolved recipe) and ``entry.yaml`` (a registry
entry with the checkpoint's SHA-256, ready for ``bench submit`` / ``bench evaluate --entry``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml

from bench.atomic import write_bytes_atomic, write_text_atomic
from bench.errors import SpecError
from bench.training.losses import training_loss
from bench.training.recipe import Recipe
from bench.zoo.architectures import build_architecture
from bench.zoo.model import BenchModel

CAM_METHODS = {"int", "int_adv", "int2", "int2_adv", "int_one"}


@dataclass
class TrainResult:
    """What a training run wrote: output folder, registry entry, checkpoint, its SHA-256, log."""

    out: Path
    entry_path: Path
    checkpoint: Path
    sha256: str
    log: list[dict]


def _generator(*parts: int) -> torch.Generator:
    return torch.Generator().manual_seed(
        int(np.random.SeedSequence(list(parts)).generate_state(1)[0])
    )


def _save_state(
    path: Path, model, optimizer, epoch: int, step: int, log: list[dict], digest: str
) -> None:
    import io

    buffer = io.BytesIO()
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": epoch,
            "step": step,
            "log": json.dumps(log),
            "recipe_digest": digest,
        },
        buffer,
    )
    write_bytes_atomic(path, buffer.getvalue())


def _optimizer(recipe: Recipe, params):
    if recipe.optimizer == "adam":
        return torch.optim.Adam(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    return torch.optim.SGD(
        params, lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay
    )


def _build(
    recipe: Recipe,
    arch: str,
    arch_params: dict | None,
    in_channels: int,
    num_classes: int,
    device: str,
) -> BenchModel:
    """The untrained network; its initial weights come from the recipe's seed, not global state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe.seed)
        net = build_architecture(
            arch, num_classes, {"in_channels": in_channels, **(arch_params or {})}
        )
    model = BenchModel(net, None).to(device)
    if recipe.method in CAM_METHODS and not model.has_cam:
        raise SpecError(
            f"Recipe {recipe.name!r} ({recipe.method}) needs a network with a CAM head; {arch!r} has none."
        )
    return model


def _resume(
    state_path: Path, recipe: Recipe, model, optimizer, device: str
) -> tuple[int, int, list[dict]]:
    """(first epoch to run, optimiser step, log) from ``state.pt`` of the same recipe; else a fresh start."""
    if state_path.is_file():
        state = torch.load(state_path, map_location=device, weights_only=True)
        if state["recipe_digest"] == recipe.digest():
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            return state["epoch"] + 1, state["step"], json.loads(state["log"])
    return 0, 0, []


@dataclass
class _Loop:
    """What one epoch needs: the data, the optimiser, the schedules' horizon and the progress callback."""

    model: BenchModel
    optimizer: torch.optim.Optimizer
    recipe: Recipe
    x_all: torch.Tensor
    y_all: torch.Tensor
    total: int
    device: str
    advance: Callable[..., None] | None

    def epoch(self, epoch: int, step: int) -> tuple[int, dict]:
        """One pass over the data in the (seed, epoch) order; returns the new step and the log line."""
        recipe, n = self.recipe, len(self.x_all)
        order = torch.randperm(n, generator=_generator(recipe.seed, epoch))
        self.model.train()
        sums, eps = {"loss": 0.0, "acc": 0.0}, 0.0
        for start in range(0, n, recipe.batch_size):
            idx = order[start : start + recipe.batch_size]
            eps, loss, correct = self.step(
                self.x_all[idx].to(self.device), self.y_all[idx].to(self.device), step
            )
            sums["loss"] += loss * len(idx)
            sums["acc"] += correct
            step += 1
        return step, {
            "epoch": epoch,
            "step": step,
            "eps": eps,
            "lr": recipe.lr_schedule.at(step - 1, recipe.lr),
            "loss": sums["loss"] / n,
            "train_acc": sums["acc"] / n,
        }

    def step(self, x: torch.Tensor, y: torch.Tensor, step: int) -> tuple[float, float, float]:
        """One optimiser step at the scheduled ε and rate; (ε, loss, correct count after the step)."""
        recipe = self.recipe
        eps = recipe.eps_schedule.at(step, recipe.eps, self.total)
        for group in self.optimizer.param_groups:
            group["lr"] = recipe.lr_schedule.at(step, recipe.lr)
        loss, extra = training_loss(
            self.model, x, y, recipe, eps, _generator(recipe.seed, 1_000_003, step)
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            value, correct = float(loss.detach()), float((self.model(x).argmax(1) == y).sum())
        if self.advance:
            self.advance(1, loss=value, eps=eps, **extra)
        return eps, value, correct


def train(
    recipe: Recipe,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    arch: str,
    arch_params: dict | None = None,
    dataset: str,
    out: Path,
    model_id: str,
    device: str = "cpu",
    progress: Callable[[str, int], Callable[..., None]] | None = None,
) -> TrainResult:
    """Train ``arch`` on uint8 ``images`` (N, C, H, W) with ``recipe``; resume from ``out/state.pt`` if there."""
    out = Path(out)
    x_all = torch.from_numpy(images).float().div_(255.0)
    y_all = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    num_classes = int(y_all.max()) + 1
    model = _build(recipe, arch, arch_params, images.shape[1], num_classes, device)
    optimizer = _optimizer(recipe, model.parameters())
    total = -(-len(x_all) // recipe.batch_size) * recipe.epochs
    state_path = out / "state.pt"
    start_epoch, step, log = _resume(state_path, recipe, model, optimizer, device)
    advance = progress(f"{model_id}: {recipe.name}", total) if progress else None
    if advance and step:
        advance(step)
    loop = _Loop(model, optimizer, recipe, x_all, y_all, total, device, advance)
    for epoch in range(start_epoch, recipe.epochs):
        step, line = loop.epoch(epoch, step)
        log.append(line)
        write_text_atomic(out / "train_log.jsonl", "".join(json.dumps(r) + "\n" for r in log))
        _save_state(state_path, model, optimizer, epoch, step, log, recipe.digest())
    return _finish(
        model, recipe, out, model_id, arch, arch_params, dataset, images.shape[1:], num_classes, log
    )


def _finish(
    model, recipe, out, model_id, arch, arch_params, dataset, input_size, num_classes, log
) -> TrainResult:
    import io

    buffer = io.BytesIO()
    torch.save({k: v.cpu() for k, v in model.net.state_dict().items()}, buffer)
    checkpoint = write_bytes_atomic(out / "model.pt", buffer.getvalue())
    sha = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    write_text_atomic(
        out / "recipe.yaml", yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False)
    )
    entry = {
        "id": model_id,
        "dataset": dataset,
        "num_classes": num_classes,
        "description": f"Trained by `bench train` with recipe {recipe.name} v{recipe.version} "
        f"(digest {recipe.digest()}), {recipe.epochs} epochs.",
        "training": {
            "method": recipe.method,
            "threat_model": "Linf" if recipe.eps > 0 else "none",
            **({"eps": recipe.eps} if recipe.eps > 0 else {}),
        },
        "architecture": {
            "name": arch,
            "params": {"in_channels": int(input_size[0]), **(arch_params or {})},
        },
        "source": {"loader": "user_checkpoint", "path": str(checkpoint.resolve()), "sha256": sha},
        "preprocessing": {"input_size": [int(s) for s in input_size]},
        "tags": ["bench_train"],
    }
    entry_path = write_text_atomic(out / "entry.yaml", yaml.safe_dump(entry, sort_keys=False))
    return TrainResult(out, entry_path, checkpoint, sha, log)
