"""The toy model's spec: params, train (Spark counts, log, holdout), holdout scorer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.lifecycle.runs import log_holdout
from pipelines.models.pyfunc_common import log_pyfunc, signature_of
from pipelines.models.spec import ModelSpec, TrainedModel, public
from shopstream import contracts

PACKAGE = Path(__file__).resolve().parent
IO = contracts.ModelIO(inputs=(contracts.Column(contracts.VISITORID, "long"),),
                       outputs=(contracts.Column(contracts.ITEMS, "string"),))


@dataclass(frozen=True)
class ToyParams:
    top_n: int = public(5, "How many of the most-viewed items the toy serves.")


def share_of_top(items: list[int], holdout: Path) -> float:
    """The main metric: the share of holdout views that fall on the served items."""
    viewed = json.loads(holdout.read_text())
    return sum(1 for i in viewed if i in set(items)) / max(len(viewed), 1)


def train(loaded: Any, params: ToyParams) -> TrainedModel:
    import mlflow
    import pandas as pd

    views = loaded.frame.where(loaded.frame[contracts.EVENT] == contracts.VIEW)
    counts = views.groupBy(contracts.ITEMID).count().orderBy("count", ascending=False)
    top = [int(r[contracts.ITEMID]) for r in counts.limit(params.top_n).collect()]
    viewed = [int(r[contracts.ITEMID]) for r in views.select(contracts.ITEMID).collect()]
    log_holdout(lambda p: p.write_text(json.dumps(viewed)), "toy_holdout.json")
    share = sum(1 for i in viewed if i in set(top)) / max(len(viewed), 1)
    mlflow.log_metric("top_share", share)

    def write(folder: Path) -> dict[str, Path]:
        path = folder / "top.json"
        path.write_text(json.dumps(top))
        return {"top_items": path}

    uri = log_pyfunc(PACKAGE, write, pd.DataFrame({contracts.VISITORID: [1]}), signature_of(IO))
    return TrainedModel(uri, {"top_share": share})


def score(model_uri: str, holdout: Path) -> float | None:
    from pipelines.lifecycle.rescoring import load_python_model

    return share_of_top(load_python_model(model_uri).items, holdout)


SPEC = ModelSpec(
    name="toy_popularity", description="The most-viewed items (a test of the machinery).",
    route="(not served)", params_type=ToyParams, train=train,
    holdout_file="toy_holdout.json", score_holdout=score, main_metric="top_share", io=IO,
    json_metrics=("top_share",))
