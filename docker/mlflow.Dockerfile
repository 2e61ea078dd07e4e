# MLflow tracking server for docker-compose: SQLite registry, artifacts proxied into MinIO.
FROM python:3.11-slim
RUN pip install --no-cache-dir "mlflow==3.17.2" "boto3==1.44.8" \
 && useradd --create-home --uid 10001 mlflow \
 && mkdir -p /home/mlflow/db && chown mlflow /home/mlflow/db
USER mlflow
WORKDIR /home/mlflow
EXPOSE 5000
