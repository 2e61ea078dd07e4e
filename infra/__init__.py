"""Local platform stack: Maven poms, service configs and the lifecycle of Kafka, S3, MLflow."""
