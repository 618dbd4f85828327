"""Live job progress: Server-Sent Events and WebSocket, per job and per tenant.

Both transports share each path: ``GET`` answers ``text/event-stream``, a
WebSocket upgrade gets JSON text frames. Every event is a job's state, as
``GET /v1/jobs/{id}`` shows it, with the change's version as its id; resume
with ``Last-Event-ID`` (SSE) or ``?last_event_id=`` (either).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import Response, StreamingResponse

from reelforge_gateway.api.deps import Feed, Pool, Reader, authenticate
from reelforge_gateway.keys import Scope
from reelforge_gateway.live import JobChange, JobFeed
from reelforge_gateway.operations.jobs import watch_job, watch_tenant
from reelforge_gateway.problems import ProblemError, documented

router = APIRouter(tags=["events"], responses=documented("unauthenticated", "forbidden", "validation_failed"))

_EVENT_STREAM = "text/event-stream"
_STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
# WebSocket close codes: 1000 once a watched job has ended; 4000 + the HTTP
# status of a refusal (4401, 4403, 4404, 4422).
_WS_CLOSE_BASE = 4000
_EVENT_STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {_EVENT_STREAM: {"schema": {"type": "string"}}},
        "description": "`id: <version>`, `event: job`, `data: <Job JSON>` per change; comments as keep-alives",
    }
}
_RESUME = Query(
    alias="last_event_id",
    description="Resume after this event id (as the `Last-Event-ID` header does for SSE)",
    pattern=r"^\d{1,19}$",
)
_LAST_EVENT_ID = Header(alias="Last-Event-ID", pattern=r"^\d{1,19}$", include_in_schema=False)
KindFilter = Annotated[str | None, Query(max_length=40, description="Only jobs of this kind")]


def _given(header: str | None, query: str | None) -> int | None:
    value = query or header
    return int(value) if value else None


def _sse(changes: AsyncIterator[JobChange | None]) -> StreamingResponse:
    async def lines() -> AsyncIterator[str]:
        # Reconnect quickly after a dropped connection.
        yield "retry: 2000\n\n"
        async for change in changes:
            if change is None:
                yield ": keep-alive\n\n"
            else:
                yield f"id: {change.version}\nevent: job\ndata: {change.job}\n\n"

    return StreamingResponse(lines(), media_type=_EVENT_STREAM, headers=_STREAM_HEADERS)


@router.get(
    "/v1/jobs/{job_id}/events",
    response_class=StreamingResponse,
    responses={**_EVENT_STREAM_RESPONSE, 204: {"description": "Resumed after the job's final event"}},
)
async def job_events(
    job_id: str,
    caller: Reader,
    pool: Pool,
    feed: Feed,
    last_event_id: Annotated[str | None, _LAST_EVENT_ID] = None,
    resume: Annotated[str | None, _RESUME] = None,
) -> Response:
    """The job's state now, then each change as it happens (event `job`,
    data: the Job), ending after the job succeeds or fails. Comments keep
    an idle connection open. Resuming after the job's final event answers
    204, which tells an `EventSource` to stop reconnecting."""
    changes = await watch_job(
        feed, pool, tenant_id=caller.tenant_id, job_id=job_id, after=_given(last_event_id, resume)
    )
    return Response(status_code=204) if changes is None else _sse(changes)


@router.get("/v1/events", response_class=StreamingResponse, responses=_EVENT_STREAM_RESPONSE)
async def tenant_events(
    caller: Reader,
    feed: Feed,
    kind: KindFilter = None,
    last_event_id: Annotated[str | None, _LAST_EVENT_ID] = None,
    resume: Annotated[str | None, _RESUME] = None,
) -> StreamingResponse:
    """Every change of the tenant's jobs from now on (or after the event id
    given), as `job` events; the stream stays open."""
    return _sse(await watch_tenant(feed, tenant_id=caller.tenant_id, after=_given(last_event_id, resume), kind=kind))


async def _websocket_caller(websocket: WebSocket) -> str | None:
    """Accept the socket and return the caller's tenant, or None after closing
    it with the refusal (a close before the accept would reach the client as
    a bare HTTP 403, without the reason)."""
    await websocket.accept()
    authorization = websocket.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    try:
        caller = await authenticate(
            websocket.app.state.pool, token if scheme.lower() == "bearer" and token else None, Scope.READ
        )
    except ProblemError as refusal:
        await websocket.close(code=_WS_CLOSE_BASE + refusal.status, reason=refusal.code)
        return None
    return caller.tenant_id


async def _send_frames(websocket: WebSocket, changes: AsyncIterator[JobChange | None]) -> None:
    try:
        async for change in changes:
            if change is None:
                await websocket.send_text(json.dumps({"event": "keep-alive"}))
            else:
                await websocket.send_text(f'{{"event": "job", "id": "{change.version}", "data": {change.job}}}')
        await websocket.close(code=1000)
    except WebSocketDisconnect:
        return


@router.websocket("/v1/jobs/{job_id}/events")
async def job_events_ws(websocket: WebSocket, job_id: str, resume: Annotated[str | None, _RESUME] = None) -> None:
    """WebSocket form of `GET /v1/jobs/{job_id}/events`: frames `{"event": "job", "id", "data": Job}`."""
    tenant_id = await _websocket_caller(websocket)
    if tenant_id is None:
        return
    state = websocket.app.state
    try:
        changes = await watch_job(
            state.feed, state.pool, tenant_id=tenant_id, job_id=job_id, after=_given(None, resume)
        )
    except ProblemError as refusal:
        await websocket.close(code=_WS_CLOSE_BASE + refusal.status, reason=refusal.code)
        return
    if changes is None:
        await websocket.close(code=1000)
        return
    await _send_frames(websocket, changes)


@router.websocket("/v1/events")
async def tenant_events_ws(
    websocket: WebSocket, kind: KindFilter = None, resume: Annotated[str | None, _RESUME] = None
) -> None:
    """WebSocket form of `GET /v1/events`."""
    tenant_id = await _websocket_caller(websocket)
    if tenant_id is None:
        return
    feed: JobFeed = websocket.app.state.feed
    changes = await watch_tenant(feed, tenant_id=tenant_id, after=_given(None, resume), kind=kind)
    await _send_frames(websocket, changes)
