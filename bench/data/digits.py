"""scikit-learn's bundled handwritten digits: real 8×8 images that install with the library.

1797 images of 16 grey levels (0…16), stored here as uint8 ``round(v · 255 / 16)`` in NCHW
so they flow through the same [0,1] pipeline as every other data set. The split is fixed:
the first 1297 images train, the last 500 test (sample ids 0…499 of the test split).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np

TEST_SIZE = 500


@lru_cache(maxsize=1)
def _all_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    images = np.rint(data.images * (255 / 16)).astype(np.uint8)[:, None]
    return images, data.target.astype(np.int64)


def digits_split(split: Literal["train", "test"]) -> tuple[np.ndarray, np.ndarray]:
    """``(x uint8 (N, 1, 8, 8), y)`` of the train (first 1297) or test (last 500) split."""
    x, y = _all_digits()
    cut = len(x) - TEST_SIZE
    return (x[:cut], y[:cut]) if split == "train" else (x[cut:], y[cut:])
