"""The recommender's parameters (public ones are `shopstream train` options and MLproject
parameters, see :mod:`pipelines.models.spec`)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from pipelines.data.features import EventWeights
from pipelines.models.spec import public

# The session protocol's test period: sessions ending in the last N days (session-rec's Retail
# Rocket window slices test on 2 days, its single split on 1).
SESSION_TEST_DAYS = 2.0

@dataclass(frozen=True)
class RecommenderParams:
    ranks: tuple[int, ...] = public((16,), "ALS ranks to search, comma-separated.", "als_ranks")
    reg_params: tuple[float, ...] = public((0.05,), "ALS regParams to search.", "als_reg_params")
    alphas: tuple[float, ...] = public((10.0, 40.0), "ALS alphas to search.", "als_alphas")
    max_iter: int = public(6, "ALS iterations.", "als_max_iter")
    grid_max_iter: int = 3  # the search compares grid points after fewer sweeps
    seed: int = public(42, "Seed of every random step.")
    weights: EventWeights = field(default_factory=EventWeights)
    eval_days: float = public(14.0, "Evaluate on the last N days of the selection.")
    val_days: float = 7.0
    n_neighbours: int = 20
    n_popular: int = 500
    max_eval_users: int = 20_000
    val_eval_users: int = 5_000  # validation visitors scored per visitor-mode strategy
    blend_weights: tuple[float, ...] = (0.25, 0.5, 0.75)  # ALS weights of the blends tried
    min_user_items: int = 2
    max_knn_sessions: int = 200_000  # session mode's kNN index: the most recent sessions kept
    val_session_steps: int = 3_000  # validation next-item steps per session strategy
    num_blocks: int = 0  # ALS user/item blocks; 0 = Spark's default parallelism

    def grid(self) -> list[dict[str, float]]:
        return [{"rank": r, "reg_param": g, "alpha": a}
                for r, g, a in itertools.product(self.ranks, self.reg_params, self.alphas)]
