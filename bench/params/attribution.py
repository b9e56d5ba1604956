"""How attribution maps are made (paper 000, §4.1, A.8): method, space, target and each method's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bench.spec import FiniteStrict

SpaceName = Literal["model_input", "pixel"]


class AttributionParams(FiniteStrict):
    """How attribution maps are made (paper 000, §4.1: IG; the text's and the code's settings are both fields)."""

    method: Literal["integrated_gradients", "input_x_gradient", "smoothgrad", "gradient_shap"] = (
        "integrated_gradients"
    )
    space: SpaceName = Field(
        default="model_input",
        description="attribute the network's normalized input or [0,1] pixels",
    )
    target: Literal["label", "prediction"] = "label"
    n_steps: int = Field(default=50, ge=1, description="Integrated Gradients: path points")
    integration: Literal[
        "gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle"
    ] = "gausslegendre"
    baseline: Literal["zero", "normal"] = Field(
        default="zero", description="IG baseline in `space`: 0, or N(0, baseline_std²) per image"
    )
    baseline_std: float = Field(default=1.0, gt=0)
    n_samples: int = Field(
        default=10, ge=1, description="SmoothGrad / GradientShap: noisy samples per image"
    )
    noise_std: float = Field(
        default=0.0, ge=0, description="SmoothGrad / GradientShap: std of the added noise"
    )
    internal_batch_size: int = Field(
        default=256, ge=1, description="path points / samples per forward pass"
    )
