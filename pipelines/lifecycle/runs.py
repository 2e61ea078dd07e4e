"""What every model's run logs the same way: flat params, the Spark MLlib flavour, the holdout.

Each model's ``run.py`` calls these inside its active run.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from pipelines.lifecycle.timing import stage

SPARK_MODEL_PATH = "spark-model"
HOLDOUT_DIR = "holdout"
# The run parameter of a time-split model: it trained on events before it, its holdout is from
# it on (promotion picks the holdout neither compared version has seen by it).
CUTOFF_PARAM = "cutoff_ms"


def params_dict(params: Any) -> dict[str, Any]:
    """A params dataclass as flat MLflow params (nested dataclasses as prefix_field)."""
    out = {}
    for key, value in dataclasses.asdict(params).items():
        if isinstance(value, dict):
            out.update({f"{key}_{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def log_spark_model(model: Any) -> None:
    """The Spark MLlib flavour, saved on the driver's disk first and then uploaded.

    ``mlflow.spark.log_model`` first has Spark write the model straight to the run's artifact
    URI. Through the tracking server that URI is ``mlflow-artifacts:/…``, a scheme Hadoop has no
    FileSystem for, so Spark logs ``ERROR Instrumentation: UnsupportedFileSystemException`` with
    a Java stack trace before MLflow falls back to saving locally and uploading. ``Model.log``
    with the spark flavour is that fallback without the failing attempt. Requirements are
    given, not inferred: inference reloads the model in a fresh Python + JVM (about a minute on
    two cores)."""
    import mlflow.spark
    from mlflow.models import Model

    with stage("log_spark_model"):
        Model.log(artifact_path=None, name=SPARK_MODEL_PATH, flavor=mlflow.spark,
                  spark_model=model, pip_requirements=spark_requirements())


def spark_requirements() -> list[str]:
    from importlib.metadata import version

    return [f"mlflow=={version('mlflow')}", f"pyspark=={version('pyspark')}",
            f"numpy=={version('numpy')}", f"pandas=={version('pandas')}"]


def log_holdout(write: Any, filename: str) -> None:
    """The evaluation rows, kept so promotion can re-score a champion on the same period."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="shopstream-holdout-") as tmp:
        path = Path(tmp) / filename
        write(path)
        mlflow.log_artifact(str(path), HOLDOUT_DIR)
