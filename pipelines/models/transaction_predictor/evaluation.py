"""Score a registered predictor version on a logged holdout (promotion's re-scoring): PR-AUC
of the pyfunc's probability, None when the holdout has a single class."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.lifecycle.rescoring import load_python_model
from shopstream import contracts as cols

HOLDOUT_FILE = "predictor_holdout.parquet"  # the evaluation rows each run logs under holdout/

def holdout_pr_auc(model_uri: str, holdout_path: Path) -> float | None:
    import pandas as pd
    from sklearn.metrics import average_precision_score

    from pipelines.models.transaction_predictor.pyfunc import ensemble_probability, feature_matrix

    model = load_python_model(model_uri)
    frame = pd.read_parquet(holdout_path)
    labels = frame[cols.LABEL].to_numpy(np.int64)
    if not 0 < labels.sum() < len(labels):
        return None
    proba = ensemble_probability(model.trees, model.meta.model_type,
                                 feature_matrix(frame, model.meta))
    return float(average_precision_score(labels, proba))
