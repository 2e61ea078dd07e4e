"""`train --every-batches K` retrains on the grown history once K new batches exist."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.data.selection import DataSelection
from pipelines.lifecycle import continuous
from pipelines.lifecycle.train import TrainOptions
from shopstream.settings import Settings

pytestmark = pytest.mark.unit


def test_retrains_on_grown_history_every_k_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    newest = iter([3, 5, 7, 9, 10, 12])
    trained: list[str] = []

    def fake_train(settings: Settings, options: TrainOptions) -> dict[str, Any]:
        assert options.promote is True
        trained.append(str(options.selection.batches))
        return {"seconds": 0.0, "models": {}}

    monkeypatch.setattr(continuous, "newest_batch", lambda settings: next(newest))
    monkeypatch.setattr(continuous, "train_models", fake_train)
    options = TrainOptions(selection=DataSelection(batches="2-4"), promote=False)
    rounds = continuous.train_every(Settings(), options, 5, as_json=True, poll_seconds=0,
                                    max_rounds=2)
    assert rounds == 2
    assert trained == ["2-5", "2-10"]
