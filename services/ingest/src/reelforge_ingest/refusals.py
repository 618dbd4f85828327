"""Why an asset is refused: stable codes the caller can act on.

The codes are part of the public API (the gateway turns them into problem
documents, and a failed asset carries one as its error code).
"""

from __future__ import annotations

import grpc

# code -> gRPC status of the call that refused it.
_STATUS = {
    "empty_upload": grpc.StatusCode.INVALID_ARGUMENT,
    "unsupported_media": grpc.StatusCode.INVALID_ARGUMENT,
    "playlist_refused": grpc.StatusCode.INVALID_ARGUMENT,
    "media_unreadable": grpc.StatusCode.INVALID_ARGUMENT,
    "media_too_large": grpc.StatusCode.INVALID_ARGUMENT,
    "media_too_long": grpc.StatusCode.INVALID_ARGUMENT,
    "duration_quota_exceeded": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "upload_too_large": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "upload_incomplete": grpc.StatusCode.FAILED_PRECONDITION,
    "url_forbidden": grpc.StatusCode.INVALID_ARGUMENT,
    "url_unresolvable": grpc.StatusCode.INVALID_ARGUMENT,
    "url_fetch_failed": grpc.StatusCode.UNAVAILABLE,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "conflict": grpc.StatusCode.FAILED_PRECONDITION,
    "validation_failed": grpc.StatusCode.INVALID_ARGUMENT,
    "processing_failed": grpc.StatusCode.INTERNAL,
}


class RefusedError(Exception):
    """An input refused for a reason named by ``code``."""

    def __init__(self, code: str, detail: str) -> None:
        if code not in _STATUS:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(detail)
        self.code = code
        self.detail = detail

    @property
    def grpc_status(self) -> grpc.StatusCode:
        return _STATUS[self.code]
