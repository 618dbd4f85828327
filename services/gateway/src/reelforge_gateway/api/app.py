"""The public FastAPI application."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel

from reelforge_gateway.api import (
    admin,
    assets,
    clip_jobs,
    comparison_videos,
    events,
    generations,
    imports,
    jobs,
    keys,
    mixes,
    pose,
    projects,
    quotas,
    sessions,
    transcriptions,
    uploads,
    webhooks,
)
from reelforge_gateway.api.admission import Admission
from reelforge_gateway.api.null_characters import RefuseNullCharacters
from reelforge_gateway.api.outages import Outages
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.live import JobFeed
from reelforge_gateway.problems import documented, install_problem_handlers


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with Reelforge's stable ``code``."""

    type: str
    title: str
    status: int
    detail: str
    code: str


def create_app(
    *,
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
) -> FastAPI:
    app = FastAPI(
        title="Reelforge API",
        version="1",
        description="Long videos in, captioned clips and movement analyses out. "
        "Authenticate with `Authorization: Bearer rf_<key id>_<secret>`.",
    )
    app.state.pool = pool
    app.state.settings = settings
    app.state.clients = clients
    app.state.feed = feed
    install_problem_handlers(app)
    app.add_middleware(RefuseNullCharacters)  # inside Admission: the caller is known first
    app.add_middleware(Admission, pool=pool, settings=settings)
    app.add_middleware(Outages)  # added last: outermost, it sees admission's failures too
    for router in (
        assets.router,
        uploads.router,
        imports.router,
        jobs.router,
        events.router,
        transcriptions.router,
        pose.router,
        clip_jobs.router,
        comparison_videos.router,
        generations.router,
        projects.router,
        mixes.router,
        sessions.router,
        webhooks.router,
        keys.router,
        quotas.router,
        admin.router,
    ):
        app.include_router(router)
    original_openapi = app.openapi

    def openapi_with_admission() -> dict[str, Any]:
        schema = original_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ProblemDetails"] = ProblemDetails.model_json_schema()
        # Validation errors are problem documents too, not FastAPI's HTTPValidationError.
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for path, operations in schema["paths"].items():
            _document_admission(path, operations)
        return schema

    app.openapi = openapi_with_admission  # type: ignore[method-assign]
    return app


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Run this request at most once: a retry with the same key and request replays the "
    "first response (`Idempotent-Replayed: true`); kept for a day",
    # 1 to 255 visible ASCII characters as a structured-field string ("..."), or bare
    # (then not both starting and ending with a quote): what idempotency.key_of accepts.
    "schema": {
        "type": "string",
        "pattern": r'^(?:"[\x21-\x7e]{1,255}"|[\x21\x23-\x7e][\x21-\x7e]{0,254}|"|"[\x21-\x7e]{0,253}[\x21\x23-\x7e])$',
    },
}


def _document_admission(path: str, operations: dict[str, Any]) -> None:
    """What every operation may also answer: the tenant's rate limit, a NUL
    character refused (``validation_failed``), a body that cannot be parsed
    and, on POST, Idempotency-Key's refusals."""
    for method, operation in operations.items():
        responses = operation.setdefault("responses", {})
        if not path.startswith("/v1/admin/"):
            responses.update({str(k): v for k, v in documented("rate_limited").items()})
        if path.startswith("/v1/") and _documents_framework_validation(responses):
            responses.update({str(k): v for k, v in documented("validation_failed").items()})
        if method in {"post", "put", "patch"}:
            responses.update({str(k): v for k, v in documented("malformed_request").items()})
        if method == "post":
            operation.setdefault("parameters", []).append(_IDEMPOTENCY_KEY)
            for status, entry in documented("idempotency_key_reused", "idempotency_request_in_flight").items():
                existing = responses.get(str(status))
                if existing is None:
                    responses[str(status)] = entry
                else:  # the route documents this status already: name our codes too
                    existing["description"] += "; or " + str(entry["description"]).split(": ", 1)[1]


def _documents_framework_validation(responses: dict[str, Any]) -> bool:
    """Whether 422 is undocumented or documented as FastAPI's own
    ``HTTPValidationError``, which the problem handlers never send."""
    entry = responses.get("422")
    return entry is None or "application/json" in entry.get("content", {})
