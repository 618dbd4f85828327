"""The gateway's SQL, one module per table family."""
