"""One registry of explainers: every case below is generated from EXPLAINERS and its two forms."""

from __future__ import annotations

import typing

import pytest
import torch

from bench.errors import SpecError
from bench.explanations import EXPLAINERS, attribute, explainers_with, input_space, interpret
from bench.params.attribution import AttributionParams
from bench.params.interpretation import InterpretationParams
from bench.params.isa import SneakingParams
from bench.zoo.architectures.paper001 import SmallGap
from bench.zoo.model import BenchModel


def _model():
    torch.manual_seed(0)
    return BenchModel(SmallGap(num_classes=10), None).eval()


def _choices(schema, field: str) -> set[str]:
    return set(typing.get_args(schema.model_fields[field].annotation)) - {"auto"}


def test_protocol_vocabularies_name_registered_explainers_of_the_right_form():
    assert _choices(AttributionParams, "method") == set(explainers_with("attribute"))
    for schema in (InterpretationParams, SneakingParams):
        assert _choices(schema, "interpreter") <= set(explainers_with("class_maps")), schema


def test_every_explainer_offers_a_form_and_integrated_gradients_offers_both():
    for name in EXPLAINERS:
        explainer = EXPLAINERS.get(name)
        assert explainer.attribute is not None or explainer.class_maps is not None, name
    assert "integrated_gradients" in set(explainers_with("attribute")) & set(
        explainers_with("class_maps")
    )


@pytest.mark.parametrize("name", explainers_with("attribute"))
def test_attribute_form_is_shaped_like_the_input_and_seeded(name):
    model, x, y = _model(), torch.rand(2, 3, 32, 32), torch.tensor([1, 2])
    params = AttributionParams(method=name, n_steps=8, n_samples=3, noise_std=0.1)
    space = input_space(model, params.space)
    z = space.to_space(x)
    first = attribute(space, z, y, params, seeds=[5, 6])
    assert first.shape == z.shape and torch.isfinite(first).all()
    assert torch.equal(first, attribute(space, z, y, params, seeds=[5, 6]))


@pytest.mark.parametrize("name", explainers_with("class_maps"))
def test_class_maps_form_gives_one_map_per_requested_class(name):
    model, x = _model(), torch.rand(2, 3, 32, 32)
    classes = torch.tensor([[1, 2, 3], [4, 5, 6]])
    maps = interpret(name, model, x, classes)
    assert maps.shape[:2] == (2, 3) and maps.dim() == 4 and torch.isfinite(maps).all()
    single = interpret(name, model, x, classes[:, 1])
    assert torch.allclose(single[:, 0], maps[:, 1], rtol=1e-5, atol=1e-7)


def test_a_missing_form_is_a_clear_error():
    model, x = _model(), torch.rand(1, 3, 32, 32)
    with pytest.raises(SpecError, match="smoothgrad offers no class_maps form"):
        interpret("smoothgrad", model, x, torch.tensor([1]))
    space = input_space(model, "model_input")
    with pytest.raises(SpecError, match="gradcam offers no attribute form"):
        attribute(
            space, x, torch.tensor([1]), AttributionParams.model_construct(method="gradcam"), [0]
        )
