"""shopstream serving stage."""
