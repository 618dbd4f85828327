"""The render service's gRPC services, called by the gateway."""
