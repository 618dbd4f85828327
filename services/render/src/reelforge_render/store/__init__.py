"""The render service's SQL, one module per table family."""
