"""The original-style Spark-backed handler, for bench/serving_bench.py's latency ratio.

One SparkSession; every request builds a one-row DataFrame and runs a Spark job
(PipelineModel.transform + collect), as the original api_services/app.py did. The model is a
tiny VectorAssembler + RandomForestClassifier fitted at startup on synthetic rows.

    python bench/serving_spark_app.py --port 8790
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
from typing import Any

from pydantic import BaseModel

FEATURES = ("num_views", "num_addtocart", "distinct_items_interacted")


def build_model(spark: Any) -> Any:
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import RandomForestClassifier
    from pyspark.ml.feature import VectorAssembler

    rng = random.Random(7)
    rows = []
    for _ in range(400):
        views, carts = rng.randint(0, 150), rng.randint(0, 8)
        rows.append((views, carts, rng.randint(0, views + carts),
                     float(carts > 2 or views > 100)))
    frame = spark.createDataFrame(rows, [*FEATURES, "label"])
    pipeline = Pipeline(stages=[
        VectorAssembler(inputCols=list(FEATURES), outputCol="features"),
        RandomForestClassifier(numTrees=20, maxDepth=5, seed=7),
    ])
    return pipeline.fit(frame)


class Body(BaseModel):
    visitorid_to_identify: int | str
    num_views: int
    num_addtocart: int
    distinct_items_interacted: int


def make_app(spark: Any, model: Any) -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/predict-transaction")
    def predict(body: Body) -> dict[str, Any]:  # sync: runs in the threadpool, like the original
        frame = spark.createDataFrame(
            [(body.num_views, body.num_addtocart, body.distinct_items_interacted)],
            list(FEATURES))
        row = model.transform(frame).select("probability", "prediction").collect()[0]
        return {"visitorid": body.visitorid_to_identify,
                "will_transact": bool(row["prediction"] == 1.0),
                "probability": float(row["probability"][1])}

    return app


def main() -> None:
    import uvicorn
    from pyspark.sql import SparkSession

    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.master("local[2]").appName("bench-spark-handler")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "1").config("spark.driver.memory", "1g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    model = build_model(spark)
    logging.getLogger("py4j").setLevel(logging.WARNING)
    uvicorn.run(make_app(spark, model), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
