"""The inequality battery of paper 000: attribution Gini (global, regional), inductive noise and occlusion.

One pass per batch: attribute once (§4.1), measure Gini on the maps (§3.1), then corrupt the
most attributed sub-pixels with noise (§3.2.1) and occlude the most attributed places
(§3.2.2, Algorithm 1). Error rates are the paper's: among images the model classifies
correctly, the share whose prediction the corruption changes. Every batch's record is saved
before the next starts, so an interrupted run resumes where it stopped.

``batch`` (the maths on one batch), ``summary`` (the values from the batch records),
``records`` (per-batch persistence), ``metric`` (the registered metric and its value records);
what a protocol may set is :mod:`bench.params.inequality`.
"""

from bench.explanations import attribute
from bench.explanations.attribution import image_seeds
from bench.metrics.inequality.batch import (
    BatchRecord,
    inequality_batch,
    noise_batch,
    occlusion_batch,
)
from bench.metrics.inequality.metric import Inequality, per_class
from bench.metrics.inequality.records import load_record, resumed_record, save_record
from bench.params.inequality import (
    NOISE_MODES,
    GiniParams,
    InequalityParams,
    NoiseParams,
    OcclusionParams,
    check_fits,
    noise_value,
    occlusion_value,
)

__all__ = [
    "NOISE_MODES",
    "BatchRecord",
    "GiniParams",
    "Inequality",
    "InequalityParams",
    "NoiseParams",
    "OcclusionParams",
    "load_record",
    "resumed_record",
    "save_record",
    "attribute",
    "check_fits",
    "image_seeds",
    "inequality_batch",
    "noise_batch",
    "noise_value",
    "occlusion_batch",
    "occlusion_value",
    "per_class",
]
