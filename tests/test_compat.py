"""The robustbench import shim: autoattack alias and pkg_resources stand-in."""

from __future__ import annotations

import subprocess
import sys


def test_autoattack_is_aliased_to_the_same_modules():
    from bench.compat import import_robustbench

    import_robustbench()
    import autoattack
    import autoattack.state
    import pyautoattack
    import pyautoattack.state
    import robustbench.eval

    assert autoattack is pyautoattack
    assert autoattack.state.EvaluationState is pyautoattack.state.EvaluationState
    assert robustbench.eval.AutoAttack is pyautoattack.AutoAttack


def test_robustbench_imports_without_pkg_resources():
    """As with setuptools >= 81: pkg_resources cannot be imported at all."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pkg_resources': raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import bench.compat as c\n"
        "c.import_robustbench()\n"
        "import robustbench.loaders, pkg_resources\n"
        "print(pkg_resources.__doc__.split(':')[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "bench stand-in"
