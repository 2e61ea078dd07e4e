"""MLflow's entry for a toy_popularity version (models from code)."""

from mlflow.models import set_model

from toy_popularity.pyfunc import TopItemsModel

set_model(TopItemsModel())
