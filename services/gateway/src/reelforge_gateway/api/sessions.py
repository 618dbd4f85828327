"""Practice sessions: a person imitates a reference video in recordings, each
scored against its span of the reference; videos of the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from reelforge_gateway.api.deps import Clients, Feed, Pool, Reader, Settings, Writer
from reelforge_gateway.api.links import follow
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.api.session_schemas import (
    RecordingCreate,
    Session,
    SessionCreate,
    SessionExport,
    SessionExportCreate,
    SessionPage,
)
from reelforge_gateway.operations import sessions as operations
from reelforge_gateway.problems import documented

router = APIRouter(tags=["pose"], responses=documented("unauthenticated", "forbidden", "unavailable"))
_ASSET_REFUSALS = ("not_found", "validation_failed", "asset_not_ready", "asset_failed", "no_video")


@router.post(
    "/v1/sessions",
    status_code=status.HTTP_201_CREATED,
    responses={**documented(*_ASSET_REFUSALS), **follow(201, "/v1/sessions/{session_id}", "session_id", "get")},
)
async def create_session(body: SessionCreate, caller: Writer, clients: Clients) -> Session:
    """A practice session on a reference video (a ready video asset)."""
    return Session.from_message(await operations.create_session(clients, tenant_id=caller.tenant_id, body=body))


@router.get("/v1/sessions", responses=documented("validation_failed"))
async def list_sessions(
    caller: Reader,
    clients: Clients,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> SessionPage:
    """The tenant's sessions, newest first (without recordings)."""
    page = await operations.list_sessions(clients, tenant_id=caller.tenant_id, limit=limit, cursor=cursor)
    return SessionPage(items=[Session.from_message(s) for s in page.sessions], next_cursor=page.next_cursor or None)


@router.get("/v1/sessions/{session_id}", responses=documented("not_found"))
async def get_session(session_id: str, caller: Reader, clients: Clients) -> Session:
    """The session's summary: each recording's comparison (status, score,
    feedback) as it is now, and the overall score."""
    return Session.from_message(
        await operations.get_session(clients, tenant_id=caller.tenant_id, session_id=session_id)
    )


@router.post(
    "/v1/sessions/{session_id}/recordings",
    status_code=status.HTTP_201_CREATED,
    responses=documented(*_ASSET_REFUSALS, "concurrent_jobs_exceeded", "monthly_minutes_exceeded"),
)
async def add_recording(
    session_id: str, body: RecordingCreate, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> Session:
    """Add the person's next attempt (a ready video asset). It is compared
    with the reference from where the previous recording's span ended, for
    as long as it lasts (or with `reference_span`); the comparison is a job
    of kind `compare`. Answers the session."""
    made = await operations.add_recording(
        pool, settings, clients, feed, tenant_id=caller.tenant_id, session_id=session_id, body=body
    )
    return Session.from_message(made)


@router.post(
    "/v1/sessions/{session_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented("not_found", "validation_failed", "concurrent_jobs_exceeded", "monthly_minutes_exceeded"),
)
async def request_session_export(
    session_id: str,
    body: SessionExportCreate,
    caller: Writer,
    pool: Pool,
    settings: Settings,
    clients: Clients,
    feed: Feed,
) -> Job:
    """A video of the session: `solo` (the recordings one after another) or
    `comparison` (each recording beside its span of the reference, aligned,
    skeletons, score and weakest feedback drawn). The job (kind
    `sessionexport`); read `GET /v1/session-exports/{resource_id}`."""
    return await operations.request_export(
        pool, settings, clients, feed, tenant_id=caller.tenant_id, session_id=session_id, body=body
    )


@router.get("/v1/session-exports/{export_id}", responses=documented("not_found"))
async def get_session_export(export_id: str, caller: Reader, clients: Clients) -> SessionExport:
    """A session's video: its state and, once completed, its URL."""
    found = await operations.get_export(clients, tenant_id=caller.tenant_id, export_id=export_id)
    return SessionExport.from_message(found)
