"""Compatibility shim so that ``robustbench==1.1.1`` imports on today's stack.

Two problems, both outside our code:

1. robustbench does ``from autoattack import AutoAttack`` and
   ``from autoattack.state import EvaluationState``, but its dependency ``pyautoattack``
   installs that package under the module name ``pyautoattack``. We alias
   ``autoattack`` and each of its submodules to the *same* module objects (not copies,
   so classes stay identical for ``isinstance``).
2. robustbench imports ``pkg_resources``, which setuptools 81 removed. We pin
   ``setuptools<81``; if a newer setuptools is installed anyway, we provide the one
   function robustbench uses (``resource_filename``) through ``importlib.resources``.

Call :func:`import_robustbench` instead of importing robustbench directly.
"""

from __future__ import annotations

import importlib
import importlib.resources
import pkgutil
import sys
import types
import warnings

AUTOATTACK_SUBMODULES = (
    "autoattack",
    "autopgd_base",
    "checks",
    "fab_base",
    "fab_projections",
    "fab_pt",
    "other_utils",
    "square",
    "state",
)


def alias_autoattack() -> types.ModuleType:
    """Make ``import autoattack[.x]`` give pyautoattack's modules; return the package."""
    if "autoattack" in sys.modules:
        return sys.modules["autoattack"]
    try:
        return importlib.import_module("autoattack")  # an installed upstream autoattack wins
    except ModuleNotFoundError:
        pass
    package = importlib.import_module("pyautoattack")
    sys.modules["autoattack"] = package
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in AUTOATTACK_SUBMODULES:
            sys.modules[f"autoattack.{info.name}"] = importlib.import_module(
                f"pyautoattack.{info.name}"
            )
    return package


def ensure_pkg_resources() -> None:
    """Import ``pkg_resources`` quietly, or install a minimal stand-in if setuptools dropped it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "pkg_resources is deprecated as an API"
        try:
            importlib.import_module("pkg_resources")
            return
        except ModuleNotFoundError:
            pass
    stub = types.ModuleType("pkg_resources")
    stub.__doc__ = "bench stand-in: only resource_filename, the one function robustbench 1.1.1 uses"

    def resource_filename(package: str, resource: str) -> str:
        return str(importlib.resources.files(package) / resource)

    stub.resource_filename = resource_filename  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = stub


def import_robustbench() -> types.ModuleType:
    """Import robustbench (and ``robustbench.utils``) with both shims in place."""
    alias_autoattack()
    ensure_pkg_resources()
    with warnings.catch_warnings():
        # robustbench's imports of timm and torch.jit emit deprecation notices users cannot act on
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        rb = importlib.import_module("robustbench")
        importlib.import_module("robustbench.utils")
    return rb
