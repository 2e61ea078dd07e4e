"""Synthetic Retail Rocket events: the generator behind `shopstream generate`.

Modules: ``params`` (published figures, calibrated knobs), ``arrays`` (vectorised helpers over
ragged segments), ``sessions`` (visitors, sessions, view times), ``items`` (catalogue and which
items get viewed), ``funnel`` (addtocarts and transactions), ``core`` (assembly into one table of
exactly N rows), ``writer`` (the events.csv writer and its sidecar) and ``cli`` (the command).
"""

from __future__ import annotations

from ingestion.synthetic.core import generate_events
from ingestion.synthetic.params import (
    DEFAULT_EVENTS,
    DEFAULT_SEED,
    PUBLISHED,
    PUBLISHED_RATIOS,
    TS_MAX_MS,
    TS_MIN_MS,
    GeneratorParams,
)
from ingestion.synthetic.writer import GenerateResult, sidecar_path, summarize, write_events_csv

__all__ = [
    "DEFAULT_EVENTS",
    "DEFAULT_SEED",
    "PUBLISHED",
    "PUBLISHED_RATIOS",
    "TS_MAX_MS",
    "TS_MIN_MS",
    "GenerateResult",
    "GeneratorParams",
    "generate_events",
    "sidecar_path",
    "summarize",
    "write_events_csv",
]
