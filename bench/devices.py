"""Where tensors live: CUDA when present, else the CPU, unless the user names a device."""

from __future__ import annotations

import torch


def resolve_device(device: str | None) -> torch.device:
    """``None``/``auto``: CUDA when present, else CPU; any other name as torch reads it (``cuda:1``, ``cpu``)."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
