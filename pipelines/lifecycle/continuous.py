"""`shopstream train --every-batches K`: retrain on the grown history whenever K new batches land.

Polls the batch index; each round trains the selected models on everything from the first
selected batch to the newest, registers the versions and runs promotion (a worse version stays
unpromoted). Runs until interrupted (Ctrl-C).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from pipelines.lifecycle.train import TrainOptions, train_models
from shopstream.output import emit
from shopstream.settings import Settings

logger = logging.getLogger(__name__)
POLL_SECONDS = 15.0


def newest_batch(settings: Settings) -> int:
    from ingestion.batch_index import list_batches

    numbers = [int(b.number) for b in list_batches(settings)]
    return max(numbers, default=0)


def train_every(settings: Settings, options: TrainOptions, every: int, *, as_json: bool,
                poll_seconds: float = POLL_SECONDS, max_rounds: int | None = None) -> int:
    """Loop: wait for `every` new batches, train on batches first..newest. Returns rounds run."""
    first = int((options.selection.batches or "1").split("-")[0])
    trained_up_to = 0
    rounds = 0
    try:
        while max_rounds is None or rounds < max_rounds:
            newest = newest_batch(settings)
            if newest - trained_up_to < every:
                logger.info("%d new batch(es) since the last training; waiting for %d",
                            newest - trained_up_to, every)
                time.sleep(poll_seconds)
                continue
            selection = replace(options.selection, batches=f"{first}-{newest}",
                                events_file=None)
            payload = train_models(settings, replace(options, selection=selection,
                                                     promote=True))
            emit({"batches": f"{first}-{newest}", **payload}, as_json=as_json,
                 title=f"retrained on batches {first}-{newest}")
            trained_up_to = newest
            rounds += 1
    except KeyboardInterrupt:
        logger.info("stopped after %d round(s)", rounds)
    return rounds
