"""A clean install: runtime dependencies are exactly what bench imports, and the README says how to install.

The imports are read from the source (``ast``): ``import x``, ``from x import y`` and
``importlib.import_module("x")`` with a literal name, anywhere in ``bench/`` (the CLI imports
lazily inside functions, so top-level imports alone would miss most of them). Import names are
mapped to distributions by the installed metadata (``PIL`` → pillow, ``pkg_resources`` →
setuptools), so the test needs no hand-kept table.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(group: str | None = None) -> dict[str, str]:
    """The runtime dependencies (``group`` None) or one optional group: canonical name → the whole requirement."""
    project = PYPROJECT["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {canonical(re.match(r"[A-Za-z0-9._-]+", spec).group()): spec for spec in specs}


def imported_modules(root: Path = ROOT / "bench") -> dict[str, set[str]]:
    """Top-level module names bench imports (absolute imports and literal import_module calls) → files.

    An import in an ``except ImportError`` handler is a fallback for a stack that lacks the declared
    module (``try: import httpx2 except ImportError: import httpx``): only the one tried first counts.
    An import under ``contextlib.suppress(ImportError)`` is optional (bench works without it): it
    does not count.
    """
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        fallback = {
            id(n)
            for h in ast.walk(tree)
            if _catches_import_error(h) or _suppresses_import_error(h)
            for n in ast.walk(h)
        }
        for node in ast.walk(tree):
            names = _imported_names(node) if id(node) not in fallback else []
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def _catches_import_error(node) -> bool:
    caught = getattr(node, "type", None) if isinstance(node, ast.ExceptHandler) else None
    names = [
        e.id
        for e in (caught.elts if isinstance(caught, ast.Tuple) else [caught])
        if isinstance(e, ast.Name)
    ]
    return bool({"ImportError", "ModuleNotFoundError"} & set(names))


def _suppresses_import_error(node) -> bool:
    """``with contextlib.suppress(ImportError):`` (or ``suppress(ModuleNotFoundError)``)."""
    calls = (
        [i.context_expr for i in node.items if isinstance(i.context_expr, ast.Call)]
        if isinstance(node, ast.With)
        else []
    )
    return any(
        getattr(c.func, "attr", getattr(c.func, "id", None)) == "suppress"
        and {"ImportError", "ModuleNotFoundError"}
        & {a.id for a in c.args if isinstance(a, ast.Name)}
        for c in calls
    )


def _imported_names(node) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    if (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [node.args[0].value]
    return []


def third_party(modules) -> dict[str, set[str]]:
    """Import name → the distributions that provide it (stdlib, bench itself and the autoattack alias left out)."""
    providers = importlib.metadata.packages_distributions()
    # `autoattack` is the alias bench.compat installs for pyautoattack's modules (upstream's name, tried first)
    skip = set(sys.stdlib_module_names) | {"bench", "autoattack"}
    return {m: {canonical(d) for d in providers.get(m, [])} for m in modules if m not in skip}


IMPORTS = imported_modules()
THIRD_PARTY = third_party(IMPORTS)


def test_every_third_party_import_is_a_declared_dependency():
    runtime = set(declared())
    optional = {
        name
        for group in PYPROJECT["project"]["optional-dependencies"]
        if group != "test"
        for name in declared(group)
    }
    undeclared = {
        m: sorted(IMPORTS[m])
        for m, dists in THIRD_PARTY.items()
        if not dists & (runtime | optional)
    }
    assert not undeclared, f"imported by bench but not in pyproject's dependencies: {undeclared}"


@pytest.mark.parametrize("dependency", sorted(declared()))
def test_every_runtime_dependency_is_imported_by_bench(dependency):
    importers = {m for m, dists in THIRD_PARTY.items() if dependency in dists}
    assert importers, f"{dependency} is a runtime dependency but nothing in bench/ imports it"


def test_the_scan_sees_lazy_and_indirect_imports():
    """The mapping behind both tests: imports inside functions and by import_module name count."""
    assert "bench/results/values.py" in IMPORTS["scipy"]  # imported inside a function
    assert THIRD_PARTY["pkg_resources"] == {"setuptools"} and THIRD_PARTY["PIL"] == {"pillow"}
    assert "bench/compat.py" in IMPORTS["pyautoattack"]  # importlib.import_module("pyautoattack")
    tree = ast.parse("try:\n    import first_choice\nexcept ImportError:\n    import old_name\n")
    handler = tree.body[0].handlers[0]
    assert _catches_import_error(handler) and _imported_names(tree.body[0].body[0]) == [
        "first_choice"
    ]
    optional = ast.parse("with contextlib.suppress(ImportError):\n    import extra\n").body[0]
    assert _suppresses_import_error(optional)
    assert not _suppresses_import_error(ast.parse("with open(f):\n    pass").body[0])


def first_code_block(text: str) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README has no bash block"
    return block.group(1).splitlines()


def test_readme_install_is_one_line_with_the_cpu_only_alternative_beside_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = first_code_block(readme)[0]
    assert first.startswith("python3 -m venv .venv && ") and 'pip install -e ".[test]"' in first
    assert first.endswith("&& bench demo")
    cpu = [line for line in readme.splitlines() if "download.pytorch.org/whl/cpu" in line]
    assert cpu, "README does not say how to install the CPU-only torch"
    runtime = declared()
    for name in (
        "torch",
        "torchvision",
    ):  # the CPU wheels asked for are pyproject's own pins, quoted for the shell
        assert any(f'"{runtime[name]}"' in line for line in cpu), runtime[name]
    position = readme.index(cpu[0])
    assert position < readme.index("## "), "the CPU-only install belongs beside the first command"


def test_readme_states_no_stale_registry_size():
    from bench.zoo.catalog import Zoo

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = [int(n) for n in re.findall(r"registry[^.\n]{0,20}?\((\d+) models\)", readme)]
    assert all(n == len(Zoo.load().entries) for n in stated), stated
