"""The ``reelforge.render.v1.Sessions`` gRPC service, called by the gateway:
practice sessions, their recordings (compared by the pose service) and
their videos."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc

from reelforge.events.v1.render_pb2 import SessionExportRequested
from reelforge.render.v1 import render_pb2, render_pb2_grpc
from reelforge_common.db import Database
from reelforge_common.grpc_server import RefusedError, refusing
from reelforge_common.pagination import after_cursor, encode_cursor, page_size
from reelforge_common.proto_time import timestamp
from reelforge_common.storage import ObjectStore
from reelforge_render import side_by_side
from reelforge_render.clients import Analyses
from reelforge_render.grpc_api.render import ANNOUNCEMENT_WAIT_S
from reelforge_render.session_exporting import KINDS, SESSION_EXPORT_EVENTS
from reelforge_render.store import assets, sessions
from reelforge_render.store.assets import AssetRow
from reelforge_render.store.sessions import RecordingRow, SessionExportRow, SessionRow

SERVICE_NAME = "reelforge.render.v1.Sessions"
MAX_RECORDINGS = 50
_STATUS = {
    "validation_failed": grpc.StatusCode.INVALID_ARGUMENT,
    "no_video": grpc.StatusCode.INVALID_ARGUMENT,
    "not_found": grpc.StatusCode.NOT_FOUND,
}


def _video(asset: AssetRow | None, asset_id: str) -> AssetRow:
    if asset is None or asset.status != "ready":
        raise RefusedError("asset_not_ready", f"asset {asset_id} is not a ready asset here")
    if not asset.has_video:
        raise RefusedError("no_video", f"asset {asset_id} has no video track")
    return asset


class SessionsService(render_pb2_grpc.SessionsServicer):
    def __init__(self, db: Database, store: ObjectStore, analyses: Analyses, *, url_expiry_s: int) -> None:
        self._db = db
        self._store = store
        self._analyses = analyses
        self._expiry = timedelta(seconds=url_expiry_s)

    def register(self, server: grpc.aio.Server) -> None:
        render_pb2_grpc.add_SessionsServicer_to_server(self, server)

    @refusing(_STATUS)
    async def CreateSession(
        self, request: render_pb2.CreateSessionRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.Session:
        name = request.name.strip() or "practice"
        if len(name) > 200:
            raise RefusedError("validation_failed", "a session's name is at most 200 characters")
        _video(
            await assets.announced(
                self._db.pool,
                tenant_id=request.tenant_id,
                asset_id=request.reference_asset_id,
                wait_s=ANNOUNCEMENT_WAIT_S,
            ),
            request.reference_asset_id,
        )
        row = await sessions.create(
            self._db.pool, tenant_id=request.tenant_id, name=name, reference_asset_id=request.reference_asset_id
        )
        return await self._session(row, [])

    @refusing(_STATUS)
    async def ListSessions(
        self, request: render_pb2.ListSessionsRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.SessionPage:
        try:
            after = after_cursor(request.cursor)
        except ValueError:
            raise RefusedError("validation_failed", "the cursor is not one this API gave") from None
        limit = page_size(request.limit)
        rows = await sessions.newest(self._db.pool, tenant_id=request.tenant_id, limit=limit + 1, after=after)
        page = render_pb2.SessionPage(
            sessions=[
                render_pb2.Session(
                    id=r.id, name=r.name, reference_asset_id=r.reference_asset_id, created_at=timestamp(r.created_at)
                )
                for r in rows[:limit]
            ]
        )
        if len(rows) > limit:
            page.next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
        return page

    @refusing(_STATUS)
    async def GetSession(self, request: render_pb2.SessionRef, context: grpc.aio.ServicerContext) -> render_pb2.Session:
        row = await self._get(request.tenant_id, request.session_id)
        made = await sessions.recordings(self._db.pool, tenant_id=row.tenant_id, session_id=row.id)
        return await self._session(row, made)

    @refusing(_STATUS)
    async def AddRecording(
        self, request: render_pb2.AddRecordingRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.Session:
        attempt = _video(
            await assets.announced(
                self._db.pool, tenant_id=request.tenant_id, asset_id=request.asset_id, wait_s=ANNOUNCEMENT_WAIT_S
            ),
            request.asset_id,
        )
        async with self._db.transaction() as conn:
            row = await sessions.get(conn, tenant_id=request.tenant_id, session_id=request.session_id, lock=True)
            if row is None:
                raise RefusedError("not_found", f"no session {request.session_id}")
            made = await sessions.recordings(conn, tenant_id=row.tenant_id, session_id=row.id)
            if await sessions.recording_by_job(conn, tenant_id=row.tenant_id, job_id=request.job_id) is None:
                if len(made) >= MAX_RECORDINGS:
                    raise RefusedError("validation_failed", f"a session holds at most {MAX_RECORDINGS} recordings")
                reference = _video(
                    await assets.asset(conn, tenant_id=row.tenant_id, asset_id=row.reference_asset_id),
                    row.reference_asset_id,
                )
                span = _span(request, made, attempt.duration_s, reference.duration_s)
                comparison_id = await self._analyses.request_comparison(
                    tenant_id=row.tenant_id,
                    job_id=request.job_id,
                    reference_asset_id=row.reference_asset_id,
                    attempt_asset_id=attempt.asset_id,
                    reference_span=span,
                )
                recording = RecordingRow(
                    id="rec_" + comparison_id.removeprefix("cmp_"),
                    position=len(made),
                    asset_id=attempt.asset_id,
                    duration_s=attempt.duration_s,
                    reference_start_s=span[0],
                    reference_end_s=span[1],
                    comparison_id=comparison_id,
                    job_id=request.job_id,
                )
                await sessions.add_recording(conn, tenant_id=row.tenant_id, session_id=row.id, recording=recording)
                made.append(recording)
        return await self._session(row, made)

    @refusing(_STATUS)
    async def RequestSessionExport(
        self, request: render_pb2.SessionExportRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.SessionExport:
        kind, resolution = request.kind or "comparison", request.resolution or "720p"
        container, layout = request.format or "mp4", request.layout or "side_by_side"
        if (
            kind not in KINDS
            or resolution not in side_by_side.RESOLUTIONS
            or container not in side_by_side.FORMATS
            or layout not in side_by_side.LAYOUTS
        ):
            raise RefusedError(
                "validation_failed",
                "kind is solo or comparison; resolution 480p, 720p or 1080p; format mp4 or webm; "
                "layout side_by_side or interleaved",
            )
        async with self._db.transaction() as conn:
            earlier = await sessions.export_by_job(conn, tenant_id=request.tenant_id, job_id=request.job_id)
            if earlier is not None:
                return await self._export(earlier)
            row = await sessions.get(conn, tenant_id=request.tenant_id, session_id=request.session_id)
            if row is None:
                raise RefusedError("not_found", f"no session {request.session_id}")
            if not await sessions.recordings(conn, tenant_id=row.tenant_id, session_id=row.id):
                raise RefusedError("validation_failed", f"session {row.id} has no recordings yet")
            made = await sessions.create_export(
                conn,
                tenant_id=row.tenant_id,
                job_id=request.job_id,
                session_id=row.id,
                kind=kind,
                resolution=resolution,
                format=container,
                layout=layout,
            )
            requested = SessionExportRequested(export_id=made.id, session_id=row.id)
            await SESSION_EXPORT_EVENTS.emit(
                conn, "requested", requested, tenant_id=row.tenant_id, job_id=request.job_id
            )
        return await self._export(made)

    @refusing(_STATUS)
    async def GetSessionExport(
        self, request: render_pb2.SessionExportRef, context: grpc.aio.ServicerContext
    ) -> render_pb2.SessionExport:
        row = await sessions.get_export(self._db.pool, tenant_id=request.tenant_id, export_id=request.export_id)
        if row is None:
            raise RefusedError("not_found", f"no session export {request.export_id}")
        return await self._export(row)

    async def _get(self, tenant_id: str, session_id: str) -> SessionRow:
        row = await sessions.get(self._db.pool, tenant_id=tenant_id, session_id=session_id)
        if row is None:
            raise RefusedError("not_found", f"no session {session_id}")
        return row

    async def _session(self, row: SessionRow, made: list[RecordingRow]) -> render_pb2.Session:
        """The session with each comparison as the pose service has it now."""
        message = render_pb2.Session(
            id=row.id, name=row.name, reference_asset_id=row.reference_asset_id, created_at=timestamp(row.created_at)
        )
        weighted = weights = 0.0
        for recording in made:
            comparison = await self._analyses.comparison_summary(
                tenant_id=row.tenant_id, comparison_id=recording.comparison_id
            )
            message.recordings.append(
                render_pb2.Recording(
                    id=recording.id,
                    position=recording.position,
                    asset_id=recording.asset_id,
                    reference_start_s=recording.reference_start_s,
                    reference_end_s=recording.reference_end_s,
                    comparison_id=recording.comparison_id,
                    job_id=recording.job_id,
                    status=comparison.status,
                    score=comparison.score,
                    feedback=comparison.feedback,
                    error_code=comparison.error_code,
                )
            )
            if comparison.status == "completed":
                weighted += comparison.score * recording.duration_s
                weights += recording.duration_s
                message.completed += 1
        message.score = weighted / weights if weights else 0.0
        return message

    async def _export(self, row: SessionExportRow) -> render_pb2.SessionExport:
        message = render_pb2.SessionExport(
            id=row.id,
            job_id=row.job_id,
            session_id=row.session_id,
            kind=row.kind,
            resolution=row.resolution,
            format=row.format,
            layout=row.layout,
            status=row.status,
            duration_s=row.duration_s,
            error_code=row.error_code or "",
            error_message=row.error_message or "",
            created_at=timestamp(row.created_at),
            completed_at=timestamp(row.completed_at),
        )
        if row.status == "completed":
            message.video_url = await self._store.presigned_get(row.output_key, self._expiry)
            message.urls_expire_at.FromDatetime(datetime.now(UTC) + self._expiry)
        return message


def _span(
    request: render_pb2.AddRecordingRequest, made: list[RecordingRow], attempt_s: float, reference_s: float
) -> tuple[float, float]:
    """The span of the reference a recording imitates: the one asked for, or
    the next one as long as the recording."""
    if request.HasField("reference_span"):
        start, end = request.reference_span.start_s, request.reference_span.end_s or reference_s
    else:
        start = made[-1].reference_end_s if made else 0.0
        end = min(start + attempt_s, reference_s)
    if not 0 <= start < end <= reference_s + 1e-3:
        raise RefusedError(
            "validation_failed",
            f"the reference span {start:.2f}-{end:.2f} s is outside the reference (0-{reference_s:.2f} s); "
            "give reference_span",
        )
    return start, min(end, reference_s)
