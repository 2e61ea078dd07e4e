"""MLflow's entry for a registered user_segmentation version ("models from code").

MLflow copies this file into each version and runs it on load; the package beside it
travels with the version as code/user_segmentation/ (first on sys.path then), so the import
below does not depend on where the training code lives today. Not imported by the training
code.
"""

from mlflow.models import set_model
from user_segmentation.pyfunc import SegmentationModel

set_model(SegmentationModel())
