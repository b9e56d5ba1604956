"""One interpretability sneaking attack on a batch (paper 001, §3, eq. 6): per image, whether it
succeeded, the smallest interpretation discrepancy it reached and that discrepancy's NDS."""

from __future__ import annotations

import numpy as np
import torch

from bench.explanations import interpret
from bench.params.isa import SneakingParams


def attacked_images(model, x: torch.Tensor, y: torch.Tensor):
    """The images of a batch the model classifies correctly, their labels and their runner-up
    classes (the target t of eq. 6: the second most likely class at x)."""
    with torch.no_grad():
        logits = model(x)
        keep = logits.argmax(1) == y
        return x[keep], y[keep], logits[keep].topk(2, dim=1).indices[:, 1]


def step_size(params: SneakingParams, eps, x: torch.Tensor):
    """The ISA's step: ``step_size``, or ``step_size_rel`` × each image's budget when set."""
    if params.step_size_rel is None:
        return params.step_size
    step = params.step_size_rel * torch.as_tensor(eps, dtype=x.dtype, device=x.device).expand(
        len(x)
    )
    return step.view(-1, *([1] * (x.dim() - 1)))


def sneak_batch(model, params: SneakingParams, interpreter, classes, p, x, y, target, eps):
    """(success, smallest discrepancy, NDS) per image of one ISA at budget(s) ``eps`` (eq. 6)."""
    from bench.attacks.isa import InterpretabilitySneakingAttack, class_set
    from bench.explanations import normalized_discrepancy

    out = InterpretabilitySneakingAttack(
        model,
        eps,
        params.steps,
        step_size(params, eps, x),
        interpreter=interpreter,
        classes=classes,
        p=p,
        tau=params.tau,
        lam_range=params.lam_range,
        bisection_steps=params.bisection_steps,
        random_start=params.random_start,
    ).attack(x, y, target)
    with torch.no_grad():
        chosen = class_set(classes, y, target, model(x[:1]).shape[1])
        nds = normalized_discrepancy(
            interpret(interpreter, model, x, chosen),
            interpret(interpreter, model, out.adversarial, chosen),
            p,
        )
    success: np.ndarray = out.success.cpu().numpy()
    return success, out.discrepancy.cpu().numpy(), nds.cpu().numpy()
