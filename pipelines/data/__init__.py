"""Training data: which events a run reads (``selection``), the Spark session with s3a
(``spark``), and the feature steps every model shares (``features``, ``session_features``)."""
