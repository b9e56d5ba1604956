"""Are a network's PGD-"robust" images the ones whose input gradient is exactly zero?

Usage: python scripts/zero_gradient_check.py [MODEL] [N]   (default cifar_wresnet_normal 200)
Computes the cross-entropy input gradient at the clean point on the first N CIFAR-10 test images,
lists the images where it is all zero (saturated softmax in float32), and sets them beside the
images left correctly classified by paper 001's PGD-200 at 8/255 (`cifar10-pgd-paper001`) and by
AutoAttack (`cifar10-autoattack`), read from the committed result files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from bench.data import open_testset
from bench.metrics.pgd_grid import zero_gradient_mask
from bench.zoo.catalog import Zoo
from bench.zoo.model import load_model

RESULTS = Path("leaderboards/results")


def robust_ids(model_id: str, protocol: str, metric: str, value: str | None) -> list[str] | None:
    path = RESULTS / model_id / f"{protocol}.json"
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    flags = result["details"][metric]["robust_flags"]
    flags = flags[value] if value else flags
    return [i for i, f in zip(result["provenance"]["sample_ids"], flags) if f]


def main(model_id: str, n: int) -> None:
    entry = Zoo.load().get(model_id)
    model = load_model(entry, torch.device("cpu"))
    testset = open_testset("cifar10", transform=entry.preprocessing.transform)
    zero: list[str] = []
    for start in range(0, n, 100):
        batch = list(range(start, min(start + 100, n)))
        x, y = testset.load(batch)
        zero += [
            testset.ids[batch[i]]
            for i in zero_gradient_mask(model, x, y).nonzero().flatten().tolist()
        ]
    print(f"{model_id}, first {n} images: {len(zero)} with an all-zero input gradient: {zero}")
    for label, ids in (
        (
            "PGD-200 @8/255 (paper 001)",
            robust_ids(model_id, "cifar10-pgd-paper001", "pgd_grid", "pgd200_acc@8/255"),
        ),
        ("AutoAttack @8/255", robust_ids(model_id, "cifar10-autoattack", "autoattack", None)),
    ):
        if ids is not None:
            print(
                f"  robust under {label}: {len(ids)} {ids}; of them zero-gradient: {sum(i in zero for i in ids)}"
            )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "cifar_wresnet_normal",
        int(sys.argv[2]) if len(sys.argv) > 2 else 200,
    )
