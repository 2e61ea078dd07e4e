# shopstream serving: `shopstream serve` = router (:8001) + one `mlflow models serve` per model.
# No JVM and no pyspark: the registered pyfuncs are numpy-only (pipelines/pyfunc_*.py).
# Build from the repo root:  docker build -f docker/serving.Dockerfile -t shopstream-serving .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SHOPSTREAM_API_HOST=0.0.0.0 SHOPSTREAM_API_PORT=8001 SHOPSTREAM_DATA_DIR=/home/app/data

# The project's runtime dependencies, pinned as in pyproject.toml, less pyspark (~330 MB and
# a JVM) and the training/plotting-only packages. uvloop + httptools make uvicorn lean.
RUN pip install \
      "mlflow==3.17.2" "pandas==2.3.3" "numpy==2.4.6" "pyarrow==25.0.1" \
      "scikit-learn==1.9.1" "boto3==1.44.8" "kafka-python==3.0.12" \
      "pydantic==2.14.4" "pydantic-settings==2.16.3" "typer==0.29.2" "rich==15.0.0" \
      "fastapi==0.165.0" "uvicorn==0.54.0" "aiohttp==3.14.5" "httpx==0.28.1" "sniffio==1.3.1" \
      "prometheus-client==0.26.0" \
      "psutil==7.2.2" "uvloop==0.23.0" "httptools==0.9.0" \
 && useradd --create-home --uid 10001 app

WORKDIR /home/app/shopstream
COPY pyproject.toml README.md ./
COPY shopstream ./shopstream
COPY infra ./infra
COPY ingestion ./ingestion
COPY pipelines ./pipelines
COPY serving ./serving
# --no-deps: everything needed is above; this keeps pyspark out of the image.
RUN pip install --no-deps . && mkdir -p /home/app/data && chown -R app /home/app/data

USER app
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if b'\"ok\"' in urllib.request.urlopen('http://127.0.0.1:8001/health').read() else 1)"
# Scoring servers bind 127.0.0.1 inside the container; only the router is published.
ENTRYPOINT ["shopstream"]
CMD ["serve", "--json-summary"]
