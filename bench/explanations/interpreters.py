"""Class-map explainers: CAM, GradCAM, signed GradCAM and GradCAM++, one map per requested class (paper 001, §2).

Every interpreter maps ``(model, x, classes)`` with ``classes`` shaped ``(B, K)`` to maps
``(B, K, h, w)``. CAM is scaled as in eq. (1), ``(1/u) Σ_k w_k^c A_k``, so that a class's map
**sums** to its logit (the completeness Proposition 1 relies on). CAM, GradCAM and GradCAM++
are differentiable in ``x`` (GradCAM through a double backward), so attacks can push on them.
Integrated Gradients' class maps are in :mod:`bench.explanations.integrated_gradients`; every
explainer is looked up in :data:`bench.explanations.registry.EXPLAINERS`.
"""

from __future__ import annotations

import torch
from torch import nn

from bench.errors import SpecError
from bench.explanations.registry import EXPLAINERS, register_explainer


def _gather(maps: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """``maps`` (B, C, h, w) → the requested classes (B, K, h, w)."""
    return maps.gather(1, classes[:, :, None, None].expand(-1, -1, *maps.shape[2:]))


def cam(model, x, classes):
    """CAM (eq. 1) from the network's own CAM head; ``map.sum() == logit``."""
    if not getattr(model, "has_cam", False):
        raise SpecError(
            f"{type(getattr(model, 'net', model)).__name__} has no CAM head; use gradcam or gradcam_pp"
        )
    maps = model.cam(x)
    return _gather(maps, classes) / (maps.shape[-2] * maps.shape[-1])


def last_conv_layer(model: nn.Module) -> nn.Module:
    """The last ``Conv2d`` of the network: GradCAM's layer when the protocol names none."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise SpecError(f"{type(model).__name__} has no convolution for GradCAM")
    return convs[-1]


def _activations_and_grads(model, x, classes):
    """The last conv layer's output A (B, Kc, h, w) and ∂f_c/∂A for each requested class (B, K, Kc, h, w)."""
    store: dict[str, torch.Tensor] = {}
    handle = last_conv_layer(model).register_forward_hook(
        lambda m, i, out: store.__setitem__("A", out)
    )
    try:
        with torch.enable_grad():  # also under no_grad: GradCAM needs the gradient it is made of
            x = x if x.requires_grad else x.detach().requires_grad_(True)
            logits = model(x)
            activations = store["A"]
            grads = [
                torch.autograd.grad(
                    logits.gather(1, classes[:, k : k + 1]).sum(), activations, create_graph=True
                )[0]
                for k in range(classes.shape[1])
            ]
    finally:
        handle.remove()
    return activations, torch.stack(grads, dim=1)


def gradcam(model, x, classes):
    """GradCAM (Selvaraju et al.): ReLU(Σ_k w_k A_k) with w_k the spatial mean of ∂f_c/∂A_k."""
    activations, grads = _activations_and_grads(model, x, classes)
    weights = grads.mean(dim=(3, 4), keepdim=True)
    return torch.relu((weights * activations[:, None]).sum(dim=2))


def gradcam_signed(model, x, classes):
    """GradCAM without the final ReLU: Σ_k w_k A_k, signed like CAM (and equal to CAM's shape on a CAM head).

    Rank correlations need it: a ReLU'd map is often all zero, and τ of a constant map is undefined.
    """
    activations, grads = _activations_and_grads(model, x, classes)
    return (grads.mean(dim=(3, 4), keepdim=True) * activations[:, None]).sum(dim=2)


def gradcam_pp(model, x, classes):
    """GradCAM++ (Chattopadhay et al., eq. 19 with the exponential-score closed form).

    α = g² / (2g² + Σ_ab A·g³), w_k = Σ_ij α·ReLU(g), map = ReLU(Σ_k w_k A_k).
    """
    activations, grads = _activations_and_grads(model, x, classes)
    a = activations[:, None]
    g2, g3 = grads**2, grads**3
    denominator = 2 * g2 + (a * g3).sum(dim=(3, 4), keepdim=True)
    alpha = g2 / torch.where(denominator != 0, denominator, torch.ones_like(denominator))
    weights = (alpha * torch.relu(grads)).sum(dim=(3, 4), keepdim=True)
    return torch.relu((weights * a).sum(dim=2))


def interpret(name: str, model: nn.Module, x: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Maps ``(B, K, h, w)`` of interpreter ``name`` for ``classes`` (B, K) (or (B,): one class each)."""
    classes = classes[:, None] if classes.dim() == 1 else classes
    return EXPLAINERS.get(name).form("class_maps")(model, x, classes)


for _name, _class_maps in {
    "cam": cam,
    "gradcam": gradcam,
    "gradcam_signed": gradcam_signed,
    "gradcam_pp": gradcam_pp,
}.items():
    register_explainer(_name, class_maps=_class_maps)
