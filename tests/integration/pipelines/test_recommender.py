"""The recommender on small generated data: beats popularity, pyfunc == Spark ALS."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_recommender_beats_popularity(recommender_result: Any) -> None:
    metrics = recommender_result.metrics
    assert metrics["eval_visitors"] > 20
    assert metrics["hr_at_10"] > metrics["popularity_hr_at_10"]
    assert metrics["popularity_coverage"] < metrics["coverage"] <= 1


def test_pyfunc_top10_matches_spark_als(spark: Any, recommender_result: Any) -> None:
    from pipelines.models.recommender.pyfunc import als_top_k

    arrays = recommender_result.arrays
    users = arrays.user_ids[:1000]
    subset = spark.createDataFrame([(int(u),) for u in users], ["visitorid"])
    spark_recs = {
        int(row["visitorid"]): [(int(r["itemid"]), float(r["rating"]))
                                for r in row["recommendations"]]
        for row in recommender_result.spark_model.recommendForUserSubset(subset, 10).collect()
    }
    assert len(spark_recs) == len(users)
    empty = np.empty(0, np.int64)
    mismatched = 0
    for row, user in enumerate(users):
        ids, scores = als_top_k(arrays, row, 10, empty)
        expected = spark_recs[int(user)]
        assert np.allclose(scores, [s for _, s in expected], atol=1e-4)
        if ids.tolist() != [i for i, _ in expected]:
            # only a near-tie may order differently
            gaps = np.diff([s for _, s in expected])
            mismatched += 1
            assert np.min(np.abs(gaps)) < 1e-4
    assert mismatched <= len(users) // 100


def test_served_strategy_is_the_validation_winner_reported_beside_baselines(
        recommender_result: Any) -> None:
    metrics, extra = recommender_result.metrics, recommender_result.extra
    validation = {k.removeprefix("val_hr_at_10_"): v for k, v in metrics.items()
                  if k.startswith("val_hr_at_10_")}
    winner = max(validation, key=lambda name: validation[name])
    assert validation[winner] == max(validation.values())
    chosen = extra["strategy"] if extra["strategy"] != "blend" else \
        f"blend_{extra['blend_weight']:g}"
    assert validation[chosen] == validation[winner]
    assert recommender_result.arrays.strategy == extra["strategy"]
    served_as = "blend" if extra["strategy"] == "blend" else extra["strategy"]
    assert metrics["hr_at_10"] == metrics[f"{served_as}_hr_at_10"], "served == its variant"
    assert metrics["best_baseline_hr_at_10"] == max(metrics["popularity_hr_at_10"],
                                                    metrics["item_knn_hr_at_10"])
    assert 0 < metrics["coverage"] <= 1


def test_session_mode_serves_the_session_strategy_that_won_validation(
        recommender_result: Any) -> None:
    from pipelines.models.recommender.params import RecommenderParams
    from pipelines.models.recommender.pyfunc import SESSION_STRATEGIES, recommend_row
    from pipelines.models.recommender.session_knn import knn_top_k

    metrics, arrays = recommender_result.metrics, recommender_result.arrays
    chosen = recommender_result.extra["session_strategy"]
    assert metrics["val_session_steps"] > 20
    validation = {s: metrics[f"val_session_{s}_mrr_at_20"] for s in SESSION_STRATEGIES}
    assert validation[chosen] == max(validation.values())
    assert arrays.session_strategy_name == chosen
    index = arrays.session_index
    assert 0 < index.n_sessions == metrics["knn_sessions"] <= RecommenderParams().max_knn_sessions
    latest = index.session_items[index.session_indptr[0]:index.session_indptr[1]].tolist()
    ids, _, label = recommend_row(arrays, "session", -1, latest, 10, False)
    assert label == "session"
    if chosen != "item2item":
        expected, _ = knn_top_k(index, latest, 10, arrays.knn_config(chosen), np.empty(0, int))
        assert ids[: expected.size] == expected.tolist()
