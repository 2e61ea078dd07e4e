"""shopstream pipelines stage."""
