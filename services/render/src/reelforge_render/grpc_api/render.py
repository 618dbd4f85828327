"""The ``reelforge.render.v1.Render`` gRPC service, called by the gateway."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from reelforge.events.v1.render_pb2 import ClipJobRequested, ComparisonVideoRequested
from reelforge.render.v1 import render_pb2, render_pb2_grpc
from reelforge_common.db import Database
from reelforge_common.grpc_server import RefusedError, refuse, refusing
from reelforge_common.proto_time import timestamp
from reelforge_common.storage import ObjectStore
from reelforge_render import side_by_side
from reelforge_render.comparison_rendering import COMPARISON_VIDEO_EVENTS
from reelforge_render.frames import FrameExtractor, FrameRequest
from reelforge_render.options import ClipOptions
from reelforge_render.prerequisites import CLIPJOB_EVENTS
from reelforge_render.store import assets, clip_jobs, comparison_videos
from reelforge_render.store.clip_jobs import ClipJobRow, ClipRow
from reelforge_render.store.comparison_videos import ComparisonVideoRow

SERVICE_NAME = "reelforge.render.v1.Render"
# How long a request waits for the announcement of an asset that ingest has just made ready.
ANNOUNCEMENT_WAIT_S = 5.0
_STATUS = {
    "validation_failed": grpc.StatusCode.INVALID_ARGUMENT,
    "no_video": grpc.StatusCode.INVALID_ARGUMENT,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "upload_too_large": grpc.StatusCode.RESOURCE_EXHAUSTED,
}


def new_clip_job_id() -> str:
    return "cj_" + uuid.uuid4().hex


class RenderService(render_pb2_grpc.RenderServicer):
    def __init__(self, db: Database, store_: ObjectStore, extractor: FrameExtractor, *, url_expiry_s: int) -> None:
        self._db = db
        self._store = store_
        self._extractor = extractor
        self._expiry = timedelta(seconds=url_expiry_s)

    def register(self, server: grpc.aio.Server) -> None:
        render_pb2_grpc.add_RenderServicer_to_server(self, server)

    async def RequestClipJob(
        self, request: render_pb2.ClipJobRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.ClipJobAccepted:
        options = ClipOptions.from_message(request.options)
        problems = options.problems()
        if problems:
            await refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "validation_failed", "; ".join(problems))
        earlier = await clip_jobs.by_job(self._db.pool, tenant_id=request.tenant_id, job_id=request.job_id)
        if earlier is not None:  # a retried request: the job exists already
            return render_pb2.ClipJobAccepted(clip_job_id=earlier.id)
        clip_job_id = new_clip_job_id()
        requested = ClipJobRequested(
            clip_job_id=clip_job_id,
            asset_id=request.asset_id,
            count=options.count,
            min_duration_s=options.min_duration_s,
            max_duration_s=options.max_duration_s,
            aspect=options.aspect,
            caption_style=options.caption_style,
            caption_position=options.caption_position,
            prompt=options.prompt,
            language=options.language,
            export_preset=options.export.codec,
        )
        async with self._db.transaction() as conn:
            await clip_jobs.create(
                conn,
                tenant_id=request.tenant_id,
                clip_job_id=clip_job_id,
                job_id=request.job_id,
                asset_id=request.asset_id,
                options=options,
            )
            await CLIPJOB_EVENTS.emit(conn, "requested", requested, tenant_id=request.tenant_id, job_id=request.job_id)
        return render_pb2.ClipJobAccepted(clip_job_id=clip_job_id)

    async def GetClipJob(
        self, request: render_pb2.GetClipJobRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.ClipJob:
        job = await clip_jobs.by_id(self._db.pool, tenant_id=request.tenant_id, clip_job_id=request.clip_job_id)
        if job is None:
            await refuse(context, grpc.StatusCode.NOT_FOUND, "not_found", f"no clip job {request.clip_job_id}")
        plan = await clip_jobs.plan(self._db.pool, tenant_id=job.tenant_id, clip_job_id=job.id)
        return await self._message(job, plan)

    @refusing(_STATUS)
    async def ExtractFrames(
        self, request: render_pb2.FramesRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.Frames:
        asset = await assets.announced(
            self._db.pool, tenant_id=request.tenant_id, asset_id=request.asset_id, wait_s=ANNOUNCEMENT_WAIT_S
        )
        if asset is None:
            raise RefusedError("asset_not_ready", f"asset {request.asset_id} is not ready here yet: retry shortly")
        if asset.status == "failed":
            raise RefusedError("asset_failed", f"asset {request.asset_id} failed: {asset.error_code}")
        if not asset.has_video:
            raise RefusedError("no_video", f"asset {request.asset_id} has no video track")
        wanted = FrameRequest.from_message(request)
        if problems := wanted.problems(asset.duration_s):
            raise RefusedError("validation_failed", "; ".join(problems))
        made = await self._extractor.frames(asset, wanted, request_id=request.request_id, quota=request.quota)
        return render_pb2.Frames(frames=made)

    @refusing(_STATUS)
    async def RequestComparisonVideo(
        self, request: render_pb2.ComparisonVideoRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.ComparisonVideo:
        resolution, container = request.resolution or "720p", request.format or "mp4"
        layout = request.layout or "side_by_side"
        if (
            resolution not in side_by_side.RESOLUTIONS
            or container not in side_by_side.FORMATS
            or layout not in side_by_side.LAYOUTS
        ):
            raise RefusedError(
                "validation_failed",
                "resolution is 480p, 720p or 1080p; format mp4 or webm; layout side_by_side or interleaved",
            )
        async with self._db.transaction() as conn:
            row = await comparison_videos.by_job(conn, tenant_id=request.tenant_id, job_id=request.job_id)
            if row is None:  # else a retried request: the video exists already
                row = await comparison_videos.create(
                    conn,
                    tenant_id=request.tenant_id,
                    job_id=request.job_id,
                    comparison_id=request.comparison_id,
                    resolution=resolution,
                    format=container,
                    layout=layout,
                )
                requested = ComparisonVideoRequested(video_id=row.id, comparison_id=row.comparison_id)
                await COMPARISON_VIDEO_EVENTS.emit(
                    conn, "requested", requested, tenant_id=request.tenant_id, job_id=request.job_id
                )
        return await self._video(row)

    @refusing(_STATUS)
    async def GetComparisonVideo(
        self, request: render_pb2.ComparisonVideoRef, context: grpc.aio.ServicerContext
    ) -> render_pb2.ComparisonVideo:
        row = await comparison_videos.get(self._db.pool, tenant_id=request.tenant_id, video_id=request.video_id)
        if row is None:
            raise RefusedError("not_found", f"no comparison video {request.video_id}")
        return await self._video(row)

    async def _video(self, row: ComparisonVideoRow) -> render_pb2.ComparisonVideo:
        message = render_pb2.ComparisonVideo(
            id=row.id,
            job_id=row.job_id,
            comparison_id=row.comparison_id,
            status=row.status,
            resolution=row.resolution,
            format=row.format,
            layout=row.layout,
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

    async def _message(self, job: ClipJobRow, plan: list[ClipRow]) -> render_pb2.ClipJob:
        message = render_pb2.ClipJob(
            id=job.id,
            job_id=job.job_id,
            asset_id=job.asset_id,
            status=job.status,
            options=job.options.to_message(),
            error_code=job.error_code or "",
            error_message=job.error_message or "",
            created_at=timestamp(job.created_at),
            completed_at=timestamp(job.completed_at),
            transcript_id=job.transcript_id,
            pose_analysis_id=job.pose_analysis_id,
        )
        expires = Timestamp()
        expires.FromDatetime(datetime.now(UTC) + self._expiry)
        for clip in plan:
            entry = render_pb2.Clip(
                index=clip.idx,
                start_s=clip.start_s,
                end_s=clip.end_s,
                score=clip.score,
                reasons=[render_pb2.ClipReason(**reason) for reason in clip.reasons],
                title=clip.title,
                excerpt=clip.excerpt,
                hashtags=clip.hashtags,
                width=clip.width,
                height=clip.height,
                framing=clip.framing,
            )
            if clip.rendered and job.status == "completed":
                entry.video_url = await self._store.presigned_get(clip.video_key, self._expiry)
                entry.thumbnail_url = await self._store.presigned_get(clip.thumbnail_key, self._expiry)
                entry.subtitles_url = await self._store.presigned_get(clip.subtitles_key, self._expiry)
                entry.urls_expire_at.CopyFrom(expires)
            message.clips.append(entry)
        return message
