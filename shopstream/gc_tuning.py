"""Garbage-collector settings for the long-lived serving processes (router, scoring servers)."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)


def settle_for_serving() -> None:
    """Call once everything long-lived is loaded. Moves it out of the cyclic GC's reach, so a
    full collection no longer walks hundreds of thousands of module, mlflow and model objects
    and stalls requests for tens of milliseconds; and collects young objects less often, since
    each request allocates thousands of short-lived ones."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 20)
