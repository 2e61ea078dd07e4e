"""Small, hand-made versions of the three pyfuncs, registered under chosen names.

For serving's integration tests and the benchmark when `shopstream train` has not registered
real models. They use the pipelines' own JVM-free pyfunc classes, so the scoring servers run
exactly the code real versions run; only the arrays are tiny. Nothing runs at import time.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shopstream.contracts import RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION
from shopstream.mlflow_links import export_credentials
from shopstream.settings import Settings

logger = logging.getLogger(__name__)

KNOWN_VISITORS = (1001, 1002, 1003)
ITEMS = (461686, 10, 20, 30, 40, 50, 60, 70)
SEGMENT_NAMES = ("casual browsers", "window shoppers", "buyers")
# {visitorid: [total_events, total_views, total_addtocart, total_transactions]}
SNAPSHOT: dict[int, Sequence[int]] = {  # events, views, carts, buys, distinct items
    1001: [60, 45, 6, 3, 20], 1002: [150, 140, 2, 0, 90], 1003: [5, 5, 0, 0, 3],
}


def _use_tracking(settings: Settings) -> None:
    import mlflow

    os.environ.update(settings.aws_env())
    export_credentials(settings)
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)


def recommender_dir(target: Path) -> Path:
    from pipelines.models.recommender.packaging import save_recommender_pyfunc

    return save_recommender_pyfunc(
        target, list(KNOWN_VISITORS), [[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]],
        list(ITEMS[1:]), [[1, 0], [0.9, 0.1], [0.5, 0.5], [0.1, 0.9], [0, 1], [0.3, 0.2],
                          [0.2, 0.3]],
        [ITEMS[0], 20, 10, 30, 40, 50], {10: [(20, 0.8), (30, 0.4)], 20: [(10, 0.8)]},
        {1001: [10]},
    )


def predictor_dir(target: Path, high: float = 0.9, low: float = 0.1) -> Path:
    """Probability rises with num_addtocart (and views), threshold 0.5."""
    import numpy as np

    from pipelines.models.transaction_predictor.pyfunc import TreeEnsemble, save_transaction_pyfunc

    # Tree 1 splits on num_addtocart (feature 1), tree 2 on num_views (feature 0).
    trees = TreeEnsemble(
        node_offsets=np.array([0, 3, 6], dtype=np.int64),
        feature=np.array([1, -1, -1, 0, -1, -1], dtype=np.int32),
        threshold=np.array([0.5, 0, 0, 20.0, 0, 0]),
        left=np.array([1, -1, -1, 1, -1, -1], dtype=np.int32),
        right=np.array([2, -1, -1, 2, -1, -1], dtype=np.int32),
        leaf_value=np.array([0, low, high, 0, low, high]),
        tree_weights=np.array([1.0, 1.0]),
    )
    return save_transaction_pyfunc(target, trees, threshold=0.5)


def segmentation_dir(target: Path) -> Path:
    import numpy as np

    from pipelines.models.user_segmentation.pyfunc import save_segmentation_pyfunc

    centroids = np.array([
        [-1.0, -1.0, -1.0, -0.5, 0.0, -0.5, -0.5],
        [0.5, 0.8, -0.5, -0.5, 0.8, -0.8, -0.8],
        [1.0, 0.8, 1.5, 1.5, -0.5, 1.0, 1.5],
    ])
    return save_segmentation_pyfunc(
        target, mean=[3.0, 2.8, 0.5, 0.2, 0.6, 0.05, 0.02],
        std=[1.0, 1.0, 0.6, 0.3, 0.1, 0.04, 0.02], centroids=centroids,
        segment_names=list(SEGMENT_NAMES), snapshot=SNAPSHOT,
    )


BUILDERS = {
    RECOMMENDER: recommender_dir,
    TRANSACTION_PREDICTOR: predictor_dir,
    USER_SEGMENTATION: segmentation_dir,
}


def register_dir(settings: Settings, name: str, model_dir: Path, tags: Mapping[str, str],
                 alias: str | None = "production") -> str:
    """Log a saved pyfunc directory as a run artifact, register it, tag it, maybe alias it."""
    import mlflow
    from mlflow.tracking import MlflowClient

    _use_tracking(settings)
    mlflow.set_experiment(f"{settings.experiment_name}-serving")
    with mlflow.start_run(run_name=f"sample-{name}") as run:
        mlflow.log_artifacts(str(model_dir), artifact_path="pyfunc")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/pyfunc", name)
    client = MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)
    for key, value in {"run_id": run.info.run_id, **tags}.items():
        client.set_model_version_tag(name, str(mv.version), key, str(value))
    if alias:
        client.set_registered_model_alias(name, alias, str(mv.version))
    return str(mv.version)


def register_sample(settings: Settings, role: str, name: str, alias: str | None = "production",
                    tags: Mapping[str, str] | None = None, **kwargs: Any) -> str:
    """Build the role's small pyfunc and register it as a new version of name."""
    default_tags = {"batches": "1-3", "date_from": "2015-05-03", "date_to": "2015-05-10",
                    "git_commit": "sample", "auc": "0.75"}
    with tempfile.TemporaryDirectory(prefix="shopstream-sample-") as tmp:
        model_dir = BUILDERS[role](Path(tmp) / "model", **kwargs)
        return register_dir(settings, name, model_dir, {**default_tags, **(tags or {})}, alias)


def move_alias(settings: Settings, name: str, version: str, alias: str = "production") -> None:
    from mlflow.tracking import MlflowClient

    export_credentials(settings)
    client = MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)
    client.set_registered_model_alias(name, alias, version)
