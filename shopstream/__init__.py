"""shopstream: an MLflow-centric experiment and model registry platform for shop event streams.

Importing this package (or any module in it) starts nothing: no Spark, no sockets, no files read.
"""

__version__ = "0.1.0"
