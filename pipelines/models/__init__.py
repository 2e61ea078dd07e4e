"""One package per model (``recommender/``, ``transaction_predictor/``,
``user_segmentation/``), each with its spec, training, evaluation and served pyfunc; the
:class:`~pipelines.models.spec.ModelSpec` they all fill in (``spec``); the registry of specs
(``registry``); and helpers they share (``plots``, ``pyfunc_common``)."""
