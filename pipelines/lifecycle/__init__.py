"""What every model goes through, driven by its spec: train and log a run (``train``,
``runs``, ``tracking``, ``timing``) with its data report (``data_report``, ``report_html``),
register a version, re-score it and pass it through the validation gate (``promotion``,
``promotion_scores``, ``validation``, ``rescoring``), retrain as batches arrive
(``continuous``), and the typed options of a run (``options``)."""
