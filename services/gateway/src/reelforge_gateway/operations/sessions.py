"""Practice sessions: kept by the render service, scored by the pose service."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from reelforge.pose.v1 import pose_pb2
from reelforge.render.v1 import render_pb2
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.api.session_schemas import RecordingCreate, SessionCreate, SessionExportCreate
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import admit, new_job_id, record_job
from reelforge_gateway.operations.jobs import get_job
from reelforge_gateway.operations.pose import COMPARE_KIND
from reelforge_gateway.operations.projects import video_asset

EXPORT_KIND = "sessionexport"


async def create_session(clients: InternalClients, *, tenant_id: str, body: SessionCreate) -> render_pb2.Session:
    await video_asset(clients, tenant_id=tenant_id, asset_id=body.reference_asset_id)
    request = render_pb2.CreateSessionRequest(
        tenant_id=tenant_id, name=body.name, reference_asset_id=body.reference_asset_id
    )
    sessions = clients.sessions
    return await sessions.calling(lambda: sessions.stub.CreateSession(request, timeout=sessions.timeout_s))


async def list_sessions(
    clients: InternalClients, *, tenant_id: str, limit: int, cursor: str | None
) -> render_pb2.SessionPage:
    request = render_pb2.ListSessionsRequest(tenant_id=tenant_id, limit=limit, cursor=cursor or "")
    sessions = clients.sessions
    return await sessions.calling(lambda: sessions.stub.ListSessions(request, timeout=sessions.timeout_s))


async def get_session(clients: InternalClients, *, tenant_id: str, session_id: str) -> render_pb2.Session:
    ref = render_pb2.SessionRef(tenant_id=tenant_id, session_id=session_id)
    sessions = clients.sessions
    return await sessions.calling(lambda: sessions.stub.GetSession(ref, timeout=sessions.timeout_s))


async def add_recording(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    session_id: str,
    body: RecordingCreate,
) -> render_pb2.Session:
    """The recording added and its comparison queued (a job of kind ``compare``)."""
    await get_session(clients, tenant_id=tenant_id, session_id=session_id)  # another tenant's: not_found
    await video_asset(clients, tenant_id=tenant_id, asset_id=body.asset_id)
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = render_pb2.AddRecordingRequest(
        tenant_id=tenant_id, session_id=session_id, job_id=job_id, asset_id=body.asset_id
    )
    if body.reference_span is not None:
        request.reference_span.CopyFrom(
            pose_pb2.TimeSpan(start_s=body.reference_span.start_s, end_s=body.reference_span.end_s or 0.0)
        )
    sessions = clients.sessions
    made: render_pb2.Session = await sessions.calling(
        lambda: sessions.stub.AddRecording(request, timeout=sessions.timeout_s)
    )
    recording = next(r for r in made.recordings if r.job_id == job_id)
    await record_job(
        feed, tenant_id=tenant_id, job_id=job_id, kind=COMPARE_KIND, resource_id=recording.comparison_id,
        at=datetime.now(UTC),
    )  # fmt: skip
    return made


async def request_export(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    session_id: str,
    body: SessionExportCreate,
) -> Job:
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = render_pb2.SessionExportRequest(
        tenant_id=tenant_id, job_id=job_id, session_id=session_id, kind=body.kind, resolution=body.resolution,
        format=body.format, layout=body.layout,
    )  # fmt: skip
    sessions = clients.sessions
    made = await sessions.calling(lambda: sessions.stub.RequestSessionExport(request, timeout=sessions.timeout_s))
    await record_job(
        feed, tenant_id=tenant_id, job_id=job_id, kind=EXPORT_KIND, resource_id=made.id, at=datetime.now(UTC)
    )
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


async def get_export(clients: InternalClients, *, tenant_id: str, export_id: str) -> render_pb2.SessionExport:
    ref = render_pb2.SessionExportRef(tenant_id=tenant_id, export_id=export_id)
    sessions = clients.sessions
    return await sessions.calling(lambda: sessions.stub.GetSessionExport(ref, timeout=sessions.timeout_s))
