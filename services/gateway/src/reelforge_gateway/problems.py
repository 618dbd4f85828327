"""Errors as RFC 9457 problem details with a stable, documented ``code``.

Every error the API returns is ``application/problem+json``:
``{"type", "title", "status", "detail", "code"}``. ``type`` is a URN built
from the code, so clients can switch on either.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"

# code -> (HTTP status, title). Codes are part of the public contract.
CODES: dict[str, tuple[int, str]] = {
    "unauthenticated": (401, "Missing or invalid API key"),
    "forbidden": (403, "The API key lacks the scope this operation needs"),
    "not_found": (404, "No such resource"),
    "malformed_request": (400, "The request body could not be parsed"),
    "method_not_allowed": (405, "The resource does not support this method"),
    "conflict": (409, "The resource already exists or is in the wrong state"),
    "validation_failed": (422, "The request is not valid"),
    "internal_error": (500, "Internal error"),
    "unavailable": (503, "A dependency is unavailable; retry later"),
    # Assets: refusals at upload time (failed assets carry the same codes).
    "empty_upload": (422, "The file is empty"),
    "unsupported_media": (415, "The file is not a supported audio or video format"),
    "playlist_refused": (415, "Playlists, manifests and concat lists are not accepted; upload the media"),
    "media_unreadable": (422, "The file is truncated, corrupt or not decodable"),
    "media_too_large": (422, "The media exceeds a limit on dimensions, frame rate or streams"),
    "media_too_long": (422, "The media is longer than the service accepts"),
    "upload_too_large": (413, "The upload exceeds the tenant's upload size quota"),
    "upload_incomplete": (409, "Some parts of the multipart upload are missing"),
    "url_forbidden": (422, "The URL's scheme or address may not be reached (URL imports, webhook endpoints)"),
    "url_unresolvable": (422, "The URL's host name does not exist"),
    "url_fetch_failed": (502, "The URL could not be downloaded"),
    "processing_failed": (500, "Processing failed repeatedly"),
    "asset_not_ready": (409, "The asset is not ready yet (still uploading or processing, or failed)"),
    # Transcripts.
    "unsupported_language": (422, "The language code is not one the speech model knows"),
    "unsupported_model": (422, "The model is not offered by this deployment"),
    "transcript_not_ready": (409, "The transcription has not finished yet"),
    "transcript_failed": (409, "The latest transcription of the asset failed; see its job"),
    # Pose analyses and comparisons.
    "no_video": (422, "The asset has no video track (audio only, or a still image)"),
    "pose_not_ready": (409, "The pose analysis has not finished yet"),
    "pose_failed": (409, "The latest pose analysis of the asset failed; see its job"),
    "comparison_not_ready": (409, "The comparison has not completed (still running, or failed)"),
    # Clip jobs.
    "asset_failed": (409, "The asset failed to ingest; see its error"),
    # Projects and exports.
    "clip_job_not_ready": (409, "The clip job has not completed; its clips cannot be used yet"),
    "export_finished": (409, "The export has already completed, failed or been cancelled"),
    # Generations and characters.
    "provider_not_configured": (422, "This deployment offers no such provider (see /v1/providers)"),
    "budget_exceeded": (402, "The request's estimate exceeds what is left of the tenant's monthly AI budget"),
    "not_an_image": (422, "The asset is not a still image (PNG, JPEG or WebP)"),
    "character_inactive": (409, "The character is deactivated"),
    # Notifications.
    "email_not_configured": (409, "This deployment sends no email (no SMTP server is configured)"),
    # Quotas and limits.
    "duration_quota_exceeded": (422, "The media is longer than the tenant's per-asset duration quota"),
    "concurrent_jobs_exceeded": (429, "The tenant has as many jobs running as its quota allows"),
    "monthly_minutes_exceeded": (429, "The tenant has used its monthly processing minutes"),
    "rate_limited": (429, "Too many requests; retry after the Retry-After delay"),
    # Idempotency-Key (draft-ietf-httpapi-idempotency-key-header).
    "idempotency_key_reused": (422, "The Idempotency-Key was first used with a different request"),
    "idempotency_request_in_flight": (409, "The first request with this Idempotency-Key is still being processed"),
}


class ProblemError(Exception):
    """Raise to answer with a problem document."""

    def __init__(self, code: str, detail: str = "", *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or code)
        self.code = code
        self.status, self.title = CODES[code]
        self.detail = detail
        self.headers = headers or {}


# Seconds an ``unavailable`` answer asks the caller to wait before retrying.
UNAVAILABLE_RETRY_AFTER_S = 2


def problem_response(code: str, detail: str = "", headers: dict[str, str] | None = None) -> JSONResponse:
    status, title = CODES[code]
    if code == "unavailable":
        headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S), **(headers or {})}
    body = {"type": f"urn:reelforge:problem:{code}", "title": title, "status": status, "detail": detail, "code": code}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


_BY_STATUS = {
    400: "malformed_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "upload_too_large",
    422: "validation_failed",
}


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error, ours or the framework's, through problem+json."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.code, exc.detail, exc.headers)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response("validation_failed", _field_errors(exc.errors()))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return problem_response(_BY_STATUS.get(exc.status_code, "internal_error"), str(exc.detail), headers)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem_response("internal_error", "an unexpected error occurred; it has been logged")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def _allowed_methods(request: Request) -> str:
    """Every method the request's path answers (RFC 9110 asks a 405 to list
    them all; Starlette's own ``Allow`` names only the first route it matched)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


def documented(*codes: str) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses`` entries for the problem codes a route can answer."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(CODES[code][0], []).append(code)
    return {
        status: {
            "description": "Problem details; `code` is one of: " + ", ".join(f"`{c}`" for c in names),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for status, names in by_status.items()
    }


def validation_problem(exc: ValidationError) -> ProblemError:
    """``validation_failed`` naming each field pydantic refused (``field: message``),
    for inputs validated outside FastAPI (the gRPC API)."""
    return ProblemError("validation_failed", _field_errors(exc.errors()))


def _field_errors(errors: Sequence[Any]) -> str:
    """``field: message`` for each error pydantic or FastAPI reports."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
