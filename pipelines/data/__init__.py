"""Training data: which events a run reads (``selection``), the Spark session with s3a
(``spark``), the feature steps every model shares (``features``, ``session_features``), and a
run's data ``profile`` with its ``shift`` (PSI) against another window."""
