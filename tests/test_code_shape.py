"""Functions short enough to read at once, modules of one concept (issue 16; ../shared/STYLE.md).

No function in ``bench/`` over 40 lines (first decorator to last line, docstring included) and no
module over 250 lines, except the architecture ports, which transcribe the authors' networks
layer by layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
MAX_FUNCTION, MAX_MODULE = 40, 250
PORTS = {"zoo/architectures/paper001.py"}


def _modules():
    return sorted(BENCH.rglob("*.py"))


def test_no_function_over_40_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                if node.end_lineno - start + 1 > MAX_FUNCTION:
                    long.append(f"{path.relative_to(BENCH)}:{node.lineno} {node.name}")
    assert not long, long


def test_no_module_over_250_lines_but_the_architecture_ports():
    long = [
        str(p.relative_to(BENCH))
        for p in _modules()
        if len(p.read_text(encoding="utf-8").splitlines()) > MAX_MODULE
    ]
    assert set(long) <= PORTS, long


def test_every_module_and_public_function_and_class_has_a_docstring():
    missing = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not ast.get_docstring(tree):
            missing.append(f"{path.relative_to(BENCH)} (module)")
        scopes = [tree] + [n for n in tree.body if isinstance(n, ast.ClassDef)]
        for scope in scopes:
            for node in scope.body:
                kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
                if isinstance(node, kinds) and not node.name.startswith("_"):
                    if not ast.get_docstring(node):
                        missing.append(f"{path.relative_to(BENCH)}:{node.lineno} {node.name}")
    assert not missing, missing
