"""What every model goes through, driven by its spec: train and log a run (``train``,
``runs``, ``tracking``, ``timing``), register a version, re-score and promote it
(``promotion``, ``rescoring``), retrain as batches arrive (``continuous``), and the typed
options of a run (``options``)."""
