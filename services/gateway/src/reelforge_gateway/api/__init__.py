"""The public REST API under /v1."""
