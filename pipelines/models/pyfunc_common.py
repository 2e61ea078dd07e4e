"""Saving and logging the JVM-free pyfunc models as MLflow "models from code".

A model package (``pipelines/models/<model>/``) holds a ``model_code.py`` that MLflow runs when
it loads a version (it calls ``mlflow.models.set_model``), and a ``pyfunc.py`` whose imports
are its own package (relative), numpy, pandas, mlflow and :mod:`shopstream.model_runtime`.
The package is copied into every version (``code_paths``, without caches), so nothing is
pickled and a registered version keeps loading after the training code moves: MLflow puts
the version's ``code/`` folder first on ``sys.path`` and ``model_code.py`` imports
``<model>.pyfunc`` from there.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.models import ModelSignature

    from shopstream.contracts import Column, ModelIO

MODELS_DIR = Path(__file__).resolve().parent
MODEL_CODE_FILE = "model_code.py"
PYFUNC_NAME = "pyfunc"
ArtifactWriter = Callable[[Path], dict[str, Path]]

# While MLflow checks a model from code it swaps sys.modules["dbutils"] for a stand-in and
# restores it afterwards, and model_code() puts a folder on sys.path: both process-wide. Two
# models saved at once (`train` runs models in threads) interleave those swaps and can leave
# the stand-in behind in sys.modules, so saving and logging take turns.
_CODE_LOCK = threading.Lock()


def signature_of(io: ModelIO, extra_inputs: Sequence[Column] = ()) -> ModelSignature:
    """The MLflow signature of a contract's ModelIO (plus a version's optional inputs)."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec(c.type, c.name, required=c.required)
                       for c in (*io.inputs, *extra_inputs)]),
        outputs=Schema([ColSpec(c.type, c.name) for c in io.outputs]),
    )


@contextmanager
def model_code(package: str | Path) -> Iterator[tuple[str, list[str]]]:
    """(model_code.py, [a cache-free copy of the package]) for mlflow's save/log_model, with
    the package importable under its bare name while MLflow runs the code to check it.
    `package` is a folder of pipelines/models by name, or any package folder."""
    source = MODELS_DIR / package if isinstance(package, str) else package
    with _CODE_LOCK, tempfile.TemporaryDirectory(prefix="shopstream-code-") as tmp:
        bundle = Path(tmp) / source.name
        shutil.copytree(source, bundle,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        sys.path.insert(0, tmp)
        try:
            yield str(bundle / MODEL_CODE_FILE), [str(bundle)]
        finally:
            sys.path.remove(tmp)


def save_pyfunc(path: str | Path, package: str | Path, write_artifacts: ArtifactWriter,
                input_example: Any, signature: ModelSignature | None = None) -> Path:
    """mlflow.pyfunc.save_model of the package's model code with its artifact files. Without
    `signature` MLflow builds it from the type hints of the model's ``predict``."""
    import mlflow.pyfunc

    target = Path(path)
    with tempfile.TemporaryDirectory(prefix="shopstream-pyfunc-") as tmp, \
            model_code(package) as (code_file, code_paths):
        mlflow.pyfunc.save_model(
            str(target), python_model=code_file, code_paths=code_paths,
            artifacts=_artifacts(write_artifacts, Path(tmp)), signature=signature,
            input_example=input_example, pip_requirements=pyfunc_requirements())
    return target


def log_pyfunc(package: str | Path, write_artifacts: ArtifactWriter, input_example: Any,
               signature: ModelSignature | None = None, name: str = PYFUNC_NAME) -> str:
    """mlflow.pyfunc.log_model of the package's model code into the active run; its URI.
    Without `signature` MLflow builds it from the type hints of the model's ``predict``."""
    import mlflow.pyfunc

    with tempfile.TemporaryDirectory(prefix="shopstream-pyfunc-") as tmp, \
            model_code(package) as (code_file, code_paths):
        info = mlflow.pyfunc.log_model(
            name=name, python_model=code_file, code_paths=code_paths,
            artifacts=_artifacts(write_artifacts, Path(tmp)), signature=signature,
            input_example=input_example, pip_requirements=pyfunc_requirements())
    return str(info.model_uri)


def _artifacts(write_artifacts: ArtifactWriter, folder: Path) -> dict[str, str]:
    return {k: str(v) for k, v in write_artifacts(folder).items()}


def pyfunc_requirements() -> list[str]:
    """What the JVM-free models need (given, so mlflow does not reload the model to infer)."""
    from importlib.metadata import version

    return [f"mlflow=={version('mlflow')}", f"numpy=={version('numpy')}",
            f"pandas=={version('pandas')}", f"scikit-learn=={version('scikit-learn')}"]


def answers_frame(predictions: Any) -> pd.DataFrame:
    """A pyfunc's answers as a DataFrame: a list of answer rows (this code's versions) or a
    DataFrame (versions built before the typed rows)."""
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions
    return pd.DataFrame.from_records([p.model_dump() for p in predictions])
