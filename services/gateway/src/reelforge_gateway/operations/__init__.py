"""What the public API does, whatever the transport.

The REST routes (``api/``) and the gRPC servicers (``grpc_api/``) are thin
edges over these functions: each takes the caller's tenant id and its
collaborators explicitly, returns the public models of ``api/schemas.py`` and
``api/asset_schemas.py``, and refuses with a ``ProblemError`` whose code
either transport renders (problem+json, or a gRPC status with the code).
"""
