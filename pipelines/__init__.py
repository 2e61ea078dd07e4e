"""The training stage: Spark reads the stored batches, three models are trained, evaluated,
logged to MLflow, registered and promoted.

- ``data/``: which events a run reads (selection), the Spark session, shared features;
- ``models/``: one package per model behind a :class:`~pipelines.models.spec.ModelSpec`
  (training, evaluation, logging, the served pyfunc), and the registry of specs;
- ``lifecycle/``: what every model goes through: train, track, register, promote, retrain;
- ``experiments/``: studies beside the product: the session-based protocol, the original recipe;
- ``cli.py``: the ``shopstream train|promote|evaluate-sessions`` commands;
- ``__main__.py``: ``python -m pipelines <entry>``, what MLproject's entry points run.
"""
