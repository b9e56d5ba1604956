"""Which interpreter a paper-001 metric uses on a model, and why one cannot explain it.

``auto`` is CAM (eq. 1) for a network with a CAM head, else signed GradCAM; the interpreters
themselves are :mod:`bench.explanations.interpreters`.
"""

from __future__ import annotations


def choose_interpreter(model, name: str) -> str:
    """``auto``: CAM for a network with a CAM head, else signed GradCAM; any other name as given."""

    return (
        ("cam" if getattr(model, "has_cam", False) else "gradcam_signed")
        if name == "auto"
        else name
    )


def unavailable_reason(model, interpreter: str) -> str | None:
    """Why ``interpreter`` cannot explain ``model`` (no CAM head, no convolution for GradCAM), or None."""
    from bench.errors import SpecError
    from bench.explanations.interpreters import last_conv_layer

    if interpreter == "cam":
        return None if getattr(model, "has_cam", False) else "the network has no CAM head"
    if interpreter.startswith("gradcam"):
        try:
            last_conv_layer(model)
        except SpecError:
            return "the network has neither a CAM head nor a convolution for GradCAM"
    return None
