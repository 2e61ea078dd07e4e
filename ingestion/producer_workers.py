"""`shopstream produce --workers N`: N producer processes, each owning a share of partitions.

kafka-python spends its time in per-record Python code under the GIL, so one process is bound
to about one core. Worker i sends only the rows whose partition p has ``p % N == i``; every
partition still has a single, idempotent, in-order writer, so per-partition ordering and the
consumer's (source, seq) dedup hold exactly as with one process. Each worker reads and
validates the whole file (cheap next to the sends); worker 0 alone sends the rejected lines to
the DLQ and counts them. ``--rate`` is split evenly between the workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from dataclasses import replace
from typing import Any

from ingestion.errors import DeliveryError
from ingestion.pacing import Pacer
from ingestion.producer import ProduceOptions, ProduceStats, produce_file
from shopstream.errors import ShopstreamError
from shopstream.settings import Settings

logger = logging.getLogger(__name__)


def _worker(settings_json: str, options: ProduceOptions, queue: Any) -> None:
    try:
        settings = Settings.model_validate_json(settings_json)
        stats = produce_file(settings, options)
        queue.put(("ok", stats.sent, stats.rejected, stats.source, ""))
    except ShopstreamError as e:
        queue.put(("error", 0, 0, "", str(e)))
    except Exception as e:  # reported to the parent, never swallowed
        queue.put(("error", 0, 0, "", f"{type(e).__name__}: {e}"))


def _share(options: ProduceOptions, index: int, workers: int) -> ProduceOptions:
    pacer = options.pacer
    rate = pacer.rate / workers if pacer.rate is not None else None
    share = Pacer(rate=rate, replay_speed=pacer.replay_speed, jitter=pacer.jitter,
                  seed=None if pacer.seed is None else pacer.seed + index)
    return replace(options, pacer=share, shard=(index, workers))


def _collect(queue: Any, procs: list[Any]) -> list[tuple[Any, ...]]:
    """Every worker's result; stops waiting for workers that died without one."""
    import queue as queues

    results: list[tuple[Any, ...]] = []
    while len(results) < len(procs):
        try:
            results.append(queue.get(timeout=1.0))
        except queues.Empty:
            if not any(p.is_alive() for p in procs):
                try:
                    results.append(queue.get(timeout=1.0))
                except queues.Empty:
                    break
    for proc in procs:
        proc.join()
    return results


def produce_parallel(settings: Settings, options: ProduceOptions, workers: int) -> ProduceStats:
    """Run ``workers`` producer processes over the file; their summed counts."""
    if workers <= 1:
        return produce_file(settings, options)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    started = time.perf_counter()
    settings_json = settings.model_dump_json()
    procs = [ctx.Process(target=_worker, args=(settings_json, _share(options, i, workers), queue))
             for i in range(workers)]
    for proc in procs:
        proc.start()
    results = _collect(queue, procs)
    errors = [r[4] for r in results if r[0] != "ok"]
    if errors or any(p.exitcode != 0 for p in procs):
        detail = "; ".join(errors) or "a worker exited abnormally"
        msg = f"{len(errors) or 1} of {workers} producer workers failed: {detail}"
        raise DeliveryError(msg)
    stats = ProduceStats(sent=sum(r[1] for r in results), rejected=sum(r[2] for r in results),
                         source=results[0][3])
    stats.seconds = time.perf_counter() - started
    return stats
