"""Test sets (real images in [0,1], streamed in batches) and explicit, recorded sample selection."""

from bench.data.selection import Selection, select_samples
from bench.data.testsets import TestSet, open_testset

__all__ = ["TestSet", "open_testset", "Selection", "select_samples"]
