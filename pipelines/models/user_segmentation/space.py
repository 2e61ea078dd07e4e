"""The space engaged visitors are clustered in: one definition for Spark (training) and numpy
(the pyfunc, the silhouettes, promotion's re-scoring).

Five coordinates per visitor, from its four counts (docs/contracts.md)::

    log_events        min(log1p(total_events),       cap_events)
    carted            1 if total_addtocart > 0 else 0
    bought            1 if total_transactions > 0 else 0
    log_addtocart     min(log1p(total_addtocart),     cap_addtocart)
    log_transactions  min(log1p(total_transactions),  cap_transactions)

then standardised with the mean and standard deviation of the period's engaged visitors
(Spark's StandardScaler). The caps are the 99th percentile of each log count over the training
period's engaged visitors (winsorising): without them the bot-like tail (thousands of events)
owns most of the distinct vectors and pulls centroids that serve almost nobody.

Why these five and not the seven contract features: the three ratios are functions of the
counts (they stretch one continuum into seven dimensions), and whether a visitor carted or
bought at all is the largest behavioural step in shop data; the flags make it an axis of its
own, the capped logs keep how much. docs/pipelines.md has the silhouettes of both spaces on
the generated history and the real sample.

Versions trained before this space have no caps: they clustered log1p of the seven features
(:data:`LEGACY`); :func:`to_space` serves both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shopstream.contracts import SEGMENT_COUNTS, SEGMENT_FEATURES

SPACE = ("log_events", "carted", "bought", "log_addtocart", "log_transactions")
LEGACY = tuple(f"log_{name}" for name in SEGMENT_FEATURES)  # versions without caps
EVENTS, CARTS, BUYS = 0, 2, 3  # positions in SEGMENT_COUNTS
CAPPED = (SEGMENT_COUNTS[EVENTS], SEGMENT_COUNTS[CARTS], SEGMENT_COUNTS[BUYS])
CAP_QUANTILE = 0.99


def space_names(caps: np.ndarray | None) -> tuple[str, ...]:
    return LEGACY if caps is None else SPACE


def to_space(features: np.ndarray, caps: np.ndarray | None) -> np.ndarray:
    """(n, 7) contract features → (n, 5) coordinates before scaling; (n, 7) log1p of every
    feature for a version without caps."""
    if caps is None:
        return np.log1p(np.maximum(features, 0.0))
    counts = np.maximum(features[:, [EVENTS, CARTS, BUYS]], 0.0)
    logged = np.minimum(np.log1p(counts), np.asarray(caps, dtype=np.float64))
    flags = (counts[:, 1:] > 0).astype(np.float64)
    return np.column_stack([logged[:, 0], flags, logged[:, 1:]])


def space_sql(caps: Sequence[float]) -> str:
    """SQLTransformer statement adding the SPACE columns to visitor aggregates (Spark)."""
    def capped(column: str, cap: float) -> str:
        return f"least(log1p(greatest(CAST({column} AS DOUBLE), 0D)), {float(cap)!r}D)"

    def flag(column: str) -> str:
        return f"CASE WHEN {column} > 0 THEN 1D ELSE 0D END"

    events, carts, buys = CAPPED
    exprs = [capped(events, caps[0]), flag(carts), flag(buys), capped(carts, caps[1]),
             capped(buys, caps[2])]
    return "SELECT *, " + ", ".join(f"{e} AS {n}" for e, n in zip(exprs, SPACE, strict=True)) \
        + " FROM __THIS__"
