"""Wall time per training stage: logged as it happens and kept as ``seconds_<stage>`` metrics.

    with collect_stages() as times:       # train_one, around one model's run
        with stage("als_fit"):            # anywhere below it
            ...
    mlflow.log_metrics(times)             # {"seconds_als_fit": 41.2, ...}

Outside :func:`collect_stages` a stage is only logged, so library code can mark stages freely.
"""

from __future__ import annotations

import contextvars
import logging
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

logger = logging.getLogger(__name__)
_current: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "shopstream_stage_times", default=None)


@contextmanager
def collect_stages() -> Iterator[dict[str, float]]:
    """Collect the stages run inside the block into the yielded dict (seconds, summed)."""
    times: dict[str, float] = {}
    token = _current.set(times)
    try:
        yield times
    finally:
        _current.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        logger.info("stage %s took %.1f s", name, seconds)
        times = _current.get()
        if times is not None:
            key = f"seconds_{name}"
            times[key] = round(times.get(key, 0.0) + seconds, 3)
