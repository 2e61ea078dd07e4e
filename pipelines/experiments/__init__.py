"""Studies run beside the product models: the session-based next-item protocol of the
literature (``session_protocol``) and the original project's recipe (``original_recipe``)."""
