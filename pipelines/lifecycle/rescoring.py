"""Re-scoring a registered version on a logged holdout: load its Python model; each model's
``evaluation.py`` computes its main metric with the training code's own numpy metrics."""

from __future__ import annotations

from typing import Any


def load_python_model(model_uri: str) -> Any:
    """The version's PythonModel instance (artifacts loaded), without the pyfunc wrapper."""
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model()
