"""One contract for every registered attack, the cases generated from the registry.

Each attack (``bench.attacks.ATTACKS``) declares example parameter sets (``contract_cases``);
each case must: stay inside its ε-ball (norm-bounded attacks) and within [0, 1] (where it
declares so), leave the model untouched, give the same examples for the same seed, change
the input, and, for attacks with a random start, depend on the seed. Run on a randomly
initialised paper-001 CAM network (no assets needed).
"""

from __future__ import annotations

import pytest
import torch

from bench.attacks import ATTACKS, make_attack
from bench.zoo.architectures.paper001 import SmallGap
from bench.zoo.model import BenchModel

CASES = [(name, case) for name in ATTACKS.names() for case in ATTACKS.get(name).contract_cases]


def make_model() -> BenchModel:
    torch.manual_seed(0)
    model = BenchModel(SmallGap(num_classes=10), None).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def run(name: str, case: str, model: BenchModel, x: torch.Tensor, y: torch.Tensor, seed: int):
    attack = make_attack(name, model, seed=seed, **ATTACKS.get(name).contract_cases[case])
    return attack, attack.perturb(x, y)


def test_every_attack_of_both_papers_is_registered_with_cases():
    assert {"pgd", "aai", "isa", "noise", "occlusion"} <= set(ATTACKS.names())
    assert all(ATTACKS.get(name).contract_cases for name in ATTACKS.names())


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_attack_contract(name, case):
    check_contract(name, case)


def test_the_worked_example_of_docs_extending_meets_the_contract():
    """docs/extending.md's FGSM, executed as written, registers and passes the same contract."""
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "extending.md").read_text(encoding="utf-8")
    code = next(
        block
        for block in re.findall(r"```python\n(.*?)```", text, re.S)
        if 'register_attack("fgsm")' in block
    )
    if "fgsm" not in ATTACKS:
        exec(compile(code, "docs/extending.md", "exec"), {"__name__": "docs_fgsm"})
    for case in ATTACKS.get("fgsm").contract_cases:
        check_contract("fgsm", case)


def check_contract(name: str, case: str) -> None:
    """The contract of the module docstring for one registered attack and one of its cases."""
    model = make_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(6, 3, 32, 32, generator=gen)
    with torch.no_grad():
        y = model(x).argmax(1)
    attack, x_adv = run(name, case, model, x, y, seed=3)
    delta = (x_adv - x).flatten(1)
    if attack.norm == "L2":
        assert float(delta.norm(dim=1).max()) <= attack.eps + 1e-5
    elif attack.norm == "Linf":
        assert float(delta.abs().max()) <= attack.eps + 1e-6
    if getattr(attack, "in_bounds", True):
        assert float(x_adv.min()) >= -1e-6 and float(x_adv.max()) <= 1 + 1e-6
    assert not model.training and all(
        torch.equal(v, model.state_dict()[k]) for k, v in before.items()
    )
    assert not any(p.requires_grad for p in model.parameters())
    assert torch.equal(x_adv, run(name, case, model, x, y, seed=3)[1])  # same seed, same examples
    assert not torch.equal(x_adv, x)  # it did attack
    if getattr(attack, "random_start", False) or (name == "noise" and "random" in case):
        assert not torch.equal(
            x_adv, run(name, case, model, x, y, seed=4)[1]
        )  # the seed reaches the start


def test_the_inductive_attacks_give_the_battery_s_images():
    """perturb(x, y) of the noise and occlusion attacks equals what the battery records for the same budget."""
    import numpy as np

    from bench.metrics.inequality import InequalityParams, inequality_batch

    model = make_model()
    x = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        y = model(x).argmax(1)  # every image "correct", so the battery attacks all of them
    params = InequalityParams.model_validate(
        {
            "attribution": {"n_steps": 8},
            "region_size": 4,
            "gini": {"transform": "positive"},
            "noise": {"k": [100], "distribution": "uniform_image_range", "clamp": "image_range"},
            "occlusion": {
                "budgets": [[3, 2]],
                "colors": ["black", "grey"],
                "black": "image_min",
                "centres": "pixel",
                "centre_transform": "signed",
                "loop": "radius_outer",
            },
        }
    )
    record = inequality_batch(
        model, x, y, np.arange(4), params, seed=5, batch_size=64, keep_images=True
    )
    common = {"attribution": {"n_steps": 8}, "seed": 5}
    for mode, value in (("add", "noise_i_err@100"), ("replace", "noise_ii_err@100")):
        mine = make_attack("noise", model, k=100, mode=mode, **common).perturb(x, y)
        assert torch.allclose(mine, record.images[value], atol=1e-6), mode
    for colour in ("black", "grey"):
        mine = make_attack("occlusion", model, count=3, radius=2, colour=colour, **common).perturb(
            x, y
        )
        assert torch.allclose(mine, record.images[f"occlusion_{colour}_err@N3R2"], atol=1e-6), (
            colour
        )


def test_an_attack_is_registered_by_its_file_alone(tmp_path):
    """The FGSM of docs/extending.md saved as bench/attacks/fgsm.py (in a copy of the package) is
    registered and built by name, with no other change."""
    import re
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parents[1]
    text = (root / "docs" / "extending.md").read_text(encoding="utf-8")
    code = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "fgsm" in b)
    shutil.copytree(
        root / "bench", tmp_path / "bench", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "bench" / "attacks" / "fgsm.py").write_text(code, encoding="utf-8")
    probe = (
        "import torch; from bench.attacks import ATTACKS, make_attack\n"
        "m = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))\n"
        "a = make_attack('fgsm', m, eps=0.1)\n"
        "x = torch.rand(2, 3, 2, 2); d = (a.perturb(x, torch.tensor([0, 1])) - x).abs().max()\n"
        "print(type(a).__module__, 'fgsm' in ATTACKS, bool(d <= 0.1 + 1e-6))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["bench.attacks.fgsm", "True", "True"]
