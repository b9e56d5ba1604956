"""Schema errors name the path the person wrote: tagged-union tags are left out, missing keys kept."""

from __future__ import annotations

import subprocess
import sys
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from bench.errors import SpecError
from bench.yamlio import validate, written_path


class A(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["a"]
    size: int


class B(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["b"]
    name: str


class Holder(BaseModel):
    items: list[A | B] = Field(default_factory=list)
    source: A | B = Field(discriminator="kind")


def problems(data) -> str:
    with pytest.raises(SpecError) as err:
        validate(Holder, data, lambda path: None, "test.yaml")
    return str(err.value)


def test_a_union_tag_is_not_shown_as_a_key():
    text = problems({"source": {"kind": "a", "size": "big"}})
    assert "source.size:" in text and ".a." not in text


def test_a_missing_key_is_named():
    assert "source.size: Field required" in problems({"source": {"kind": "a"}})


def test_an_unknown_key_is_named_where_it_was_written():
    assert "source.colour: unknown key" in problems(
        {"source": {"kind": "b", "name": "x", "colour": 1}}
    )


def test_written_path_walks_lists_and_dicts():
    data = {"items": [{"kind": "a", "size": 1}]}
    assert written_path(("items", 0, "a", "size"), data) == ("items", 0, "size")
    assert written_path(("items", 0, "a", "gone"), data, missing=True) == ("items", 0, "gone")


def test_yamlio_does_not_import_the_zoo():
    code = "import sys, bench.yamlio; print(any(m.startswith('bench.zoo') for m in sys.modules))"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )
