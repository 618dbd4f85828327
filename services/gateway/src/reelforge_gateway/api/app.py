"""The public FastAPI application."""

from __future__ import annotations

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel

from reelforge_gateway.api import admin, assets, events, imports, jobs, keys, uploads
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.ingest_client import IngestClient
from reelforge_gateway.live import JobFeed
from reelforge_gateway.problems import install_problem_handlers


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with Reelforge's stable ``code``."""

    type: str
    title: str
    status: int
    detail: str
    code: str


def create_app(*, pool: asyncpg.Pool, settings: GatewaySettings, ingest: IngestClient, feed: JobFeed) -> FastAPI:
    app = FastAPI(
        title="Reelforge API",
        version="1",
        description="Long videos in, captioned clips and movement analyses out. "
        "Authenticate with `Authorization: Bearer rf_<key id>_<secret>`.",
    )
    app.state.pool = pool
    app.state.settings = settings
    app.state.ingest = ingest
    app.state.feed = feed
    install_problem_handlers(app)
    for router in (
        assets.router,
        uploads.router,
        imports.router,
        jobs.router,
        events.router,
        keys.router,
        admin.router,
    ):
        app.include_router(router)
    original_openapi = app.openapi

    def openapi_with_problem_schema() -> dict[str, object]:
        schema = original_openapi()
        schema.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = (
            ProblemDetails.model_json_schema()
        )
        return schema

    app.openapi = openapi_with_problem_schema  # type: ignore[method-assign]
    return app
