"""Reading untrusted checkpoint files into state dicts, safely.

Every ``torch.load`` here is ``weights_only=True``: a pickle that asks to build anything
but tensors and plain containers is refused before any of its code runs.
"""

from __future__ import annotations

import os
import pickle
import pickletools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bench.errors import MissingFileError, SpecError, UnsafeCheckpointError


def safe_torch_load(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` on CPU, with refusals as user errors.

    A file that asks for globals or opcodes the weights-only unpickler does not admit is an
    :class:`UnsafeCheckpointError`; a truncated, garbled or foreign file is a :class:`SpecError`
    ("corrupt", never "unsafe"). Neither message passes on torch's advice to turn
    ``weights_only`` off.
    """
    _check_readable_file(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch and pickle raise many kinds for damaged files
        raise load_error(str(path), exc) from None


def load_error(origin: str, exc: BaseException) -> SpecError | UnsafeCheckpointError:
    """The user error for a failed weights-only load of ``origin``: unsafe when refused, else corrupt."""
    if isinstance(exc, pickle.UnpicklingError) and _is_refusal(str(exc)):
        return UnsafeCheckpointError(
            f"Refused to load {origin}: it is not a plain weights file ({_refusal_reason(str(exc))}). bench "
            "loads checkpoints with weights_only=True and never runs code from them; re-save the state dict "
            "with torch.save(model.state_dict(), path)."
        )
    return _corrupt(origin, exc)


def _check_readable_file(path: Path) -> None:
    """A regular, readable file; otherwise an error that says what the path is instead."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"No such checkpoint: {path}.")
    if not path.is_file():
        raise SpecError(f"Checkpoint {path} is not a regular file (a folder, a device or a pipe).")
    if not os.access(path, os.R_OK):
        raise SpecError(f"Checkpoint {path} is not readable (permission denied).")


# The weights-only unpickler's own refusals (a global, a class, an opcode it does not admit).
_REFUSAL_REASONS = (
    "Unsupported global",
    "unsupported GLOBAL",
    "is blocked",
    "Unsupported operand",
    "Unsupported class",
)


_PICKLE_OPCODES = {ord(op.code) for op in pickletools.opcodes}


def _is_refusal(message: str) -> bool:
    """A refusal of what the pickle asks for; an "operand" that is no pickle opcode at all is damage."""
    operand = re.search(r"Unsupported operand (\d+)", message)
    if operand:
        return int(operand.group(1)) in _PICKLE_OPCODES
    return "WeightsUnpickler error" in message or any(
        reason in message for reason in _REFUSAL_REASONS
    )


def _refusal_reason(message: str) -> str:
    """The line that says what was refused, without torch's advice around it."""
    for line in message.splitlines():
        if any(reason in line for reason in _REFUSAL_REASONS):
            return "refused by the weights-only unpickler: " + _without_unsafe_advice(line.strip())
    return "refused by the weights-only unpickler"


def _without_unsafe_advice(text: str) -> str:
    """Drop every sentence that mentions turning weights_only off."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = [s for s in sentences if "weights_only" not in s and "trusted source" not in s]
    return " ".join(kept).strip() or "unreadable"


def _corrupt(path: Path | str, exc: BaseException) -> SpecError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    cause = _without_unsafe_advice(
        f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    )
    return SpecError(
        f"Could not read checkpoint {path}: the file is corrupt, truncated or not a PyTorch checkpoint ({cause}). "
        "Download or save it again; check its SHA-256 against the published one."
    )


def select_key(checkpoint: Any, key_path: str | None) -> Any:
    """Walk a dotted path of mapping keys / list indices (``"state_dict.0"``) into a checkpoint."""
    node = checkpoint
    for part in key_path.split(".") if key_path else []:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, Sequence) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            found = list(node.keys()) if isinstance(node, Mapping) else f"a {type(node).__name__}"
            raise SpecError(f"Checkpoint has no {part!r} on the path {key_path!r}; found {found}.")
    return node


def strip_prefixes(
    state_dict: Mapping[str, torch.Tensor], prefixes: Sequence[str]
) -> dict[str, torch.Tensor]:
    """Remove the first matching prefix from each key (e.g. ``module.`` left by DataParallel)."""
    out = {}
    for key, value in state_dict.items():
        for prefix in prefixes:
            if key.startswith(prefix):
                key = key[len(prefix) :]
                break
        out[key] = value
    return out


def load_state_dict_strict(module: nn.Module, state_dict: Any, origin: str) -> nn.Module:
    """Load every tensor or fail naming the missing and unexpected keys (never a silent partial load)."""
    if not isinstance(state_dict, Mapping) or not all(
        isinstance(v, torch.Tensor) for v in state_dict.values()
    ):
        raise SpecError(
            f"{origin}: expected a state dict of tensors, got {type(state_dict).__name__}."
        )
    own = module.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    shapes = [
        f"{k}: {tuple(state_dict[k].shape)} vs {tuple(v.shape)}"
        for k, v in own.items()
        if k in state_dict and state_dict[k].shape != v.shape
    ]
    if missing or unexpected or shapes:
        raise SpecError(
            f"{origin} does not fit the architecture: missing keys {missing[:8]}, unexpected keys "
            f"{unexpected[:8]}, shape mismatches {shapes[:8]}. Check 'architecture', 'key' and 'strip_prefixes'."
        )
    module.load_state_dict(state_dict)
    return module


def load_into(module: nn.Module, path: Path, key: str | None, prefixes: Sequence[str]) -> nn.Module:
    """Safely read ``path``, select ``key``, strip ``prefixes`` and load strictly into ``module``."""
    state_dict = select_key(safe_torch_load(path), key)
    if isinstance(state_dict, Mapping):
        state_dict = strip_prefixes(state_dict, prefixes)
    return load_state_dict_strict(module, state_dict, origin=str(path))
