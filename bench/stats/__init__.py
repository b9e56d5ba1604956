"""Statistics over result files: paired comparisons of two models on the same images (numpy only)."""

from bench.stats.paired import PairedComparison, compare_paired, masked_mean_difference
from bench.stats.per_image import PER_IMAGE_SOURCES, per_image_values

__all__ = [
    "PER_IMAGE_SOURCES",
    "PairedComparison",
    "compare_paired",
    "masked_mean_difference",
    "per_image_values",
]
