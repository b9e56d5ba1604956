"""docs/extending.md's data-set worked example (SVHN), executed as written, is a whole data set.

Run in a fresh interpreter: its registry entry is added before the zoo schema is built from the
registry, its opener is executed in ``bench.data.testsets``, and torchvision's SVHN is replaced by
a stand-in holding three images (no download). Then a zoo entry, a protocol and the test set all
accept ``svhn``: the entry and the opener are the whole change.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DRIVER = r"""
import sys, types
import numpy as np

entry_code, opener_code = sys.argv[1], sys.argv[2]

import bench.datasets as registry
from bench.datasets import DataSet
(entry,) = eval(entry_code.split("\n", 1)[1], {"DataSet": DataSet})
registry.DATASETS[entry.name] = entry

class SVHN:  # torchvision's SVHN, without its download: three 3x32x32 images
    def __init__(self, root, split, download):
        self.data = np.zeros((3, 3, 32, 32), dtype=np.uint8)
        self.labels = np.array([1, 2, 3])

sys.modules["torchvision"] = types.SimpleNamespace(datasets=types.SimpleNamespace(SVHN=SVHN))

import bench.data.testsets as testsets
exec(opener_code, vars(testsets))

from bench.protocols import get_protocol
from bench.zoo.schema import ModelEntry

ModelEntry.model_validate({
    "id": "svhn_net", "description": "a user's SVHN network", "dataset": "svhn", "num_classes": 10,
    "training": {"method": "standard"}, "architecture": {"name": "cnn_a"},
    "source": {"loader": "user_checkpoint", "path": "svhn.pt"},
    "preprocessing": {"input_size": [3, 32, 32]},
})
protocol = get_protocol("quick").resolve("svhn")
testset = testsets.open_testset("svhn", data_dir="/nonexistent")
print(protocol.eps, len(testset), registry.DATASETS["svhn"].format_eps(protocol.eps))
"""


def _snippets() -> tuple[str, str]:
    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    section = text.split("## Worked example: a data set", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    entry, opener = block.split("\n\n\n", 1)
    return entry, opener


def test_the_worked_data_set_is_one_registry_entry_plus_its_opener():
    entry, opener = _snippets()
    out = subprocess.run(
        [sys.executable, "-c", DRIVER, entry, opener],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"BENCH_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [repr(8 / 255), "3", "8/255"]
