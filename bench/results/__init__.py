"""Typed, versioned result files: one JSON per (model, protocol), written atomically."""

from bench.results.schema import SCHEMA_VERSION, Provenance, Result
from bench.results.store import (
    read_result,
    read_results,
    result_path,
    write_json_atomic,
    write_result,
)

__all__ = [
    "SCHEMA_VERSION",
    "Provenance",
    "Result",
    "read_result",
    "read_results",
    "result_path",
    "write_json_atomic",
    "write_result",
]
