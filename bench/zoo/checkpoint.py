"""Reading untrusted checkpoint files into state dicts, safely.

Every ``torch.load`` here is ``weights_only=True``: a pickle that asks to build anything
but tensors and plain containers is refused before any of its code runs.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bench.errors import SpecError, UnsafeCheckpointError


def safe_torch_load(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` on CPU, with refusals as user errors."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnsafeCheckpointError(
            f"Refused to load {path}: it is not a plain weights file ({first_line}). bench loads checkpoints "
            "with weights_only=True and never runs code from them; re-save the state dict with torch.save."
        ) from None
    except (RuntimeError, EOFError, OSError) as exc:
        raise SpecError(f"Could not read checkpoint {path}: {exc}") from None


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


def strip_prefixes(state_dict: Mapping[str, torch.Tensor], prefixes: Sequence[str]) -> dict[str, torch.Tensor]:
    """Remove the first matching prefix from each key (e.g. ``module.`` left by DataParallel)."""
    out = {}
    for key, value in state_dict.items():
        for prefix in prefixes:
            if key.startswith(prefix):
                key = key[len(prefix):]
                break
        out[key] = value
    return out


def load_state_dict_strict(module: nn.Module, state_dict: Any, origin: str) -> nn.Module:
    """Load every tensor or fail naming the missing and unexpected keys (never a silent partial load)."""
    if not isinstance(state_dict, Mapping) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise SpecError(f"{origin}: expected a state dict of tensors, got {type(state_dict).__name__}.")
    own = module.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    shapes = [f"{k}: {tuple(state_dict[k].shape)} vs {tuple(v.shape)}"
              for k, v in own.items() if k in state_dict and state_dict[k].shape != v.shape]
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
