"""shopstream ingestion stage."""
