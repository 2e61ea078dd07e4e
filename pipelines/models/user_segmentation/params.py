"""The segmentation's parameters (public ones are `shopstream train` options and MLproject
parameters, see :mod:`pipelines.models.spec`)."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.models.spec import public


@dataclass(frozen=True)
class SegmentationParams:
    k_min: int = public(3, "Smallest k tried.")
    k_max: int = public(8, "Largest k tried.")
    seed: int = public(42, "Seed of every random step.")
    max_iter: int = 40
    restarts: int = 3  # KMeans fits per (k, seed); the lowest-cost one is kept
    sample_rows: int = 50_000  # distinct engaged vectors k is chosen on
    holdout_rows: int = 5_000
    min_events: int = 2  # engaged visitors (clustered); fewer events → the one-view segment
    min_segment_share: float = 0.01  # every segment holds at least this share of visitors
    min_ari: float = 0.9  # a k is kept only if refits with 4 more seeds agree this well
