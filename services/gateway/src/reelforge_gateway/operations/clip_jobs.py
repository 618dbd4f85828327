"""Clip jobs: the main job, handed to the render service."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from reelforge.ingest.v1 import ingest_pb2
from reelforge.render.v1 import render_pb2
from reelforge_common.proto_time import datetime_of
from reelforge_gateway.api.clip_schemas import Captions, Clip, ClipJob, ClipJobCreate, ClipReason, Link
from reelforge_gateway.api.schemas import Job, JobError
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients, RenderClient
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations import uploads
from reelforge_gateway.operations.accepted import admit, new_job_id, record_job
from reelforge_gateway.operations.jobs import get_job
from reelforge_gateway.problems import ProblemError

KIND = "clipjob"


async def _source_asset(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    body: ClipJobCreate,
) -> str:
    """The asset to clip: the one named (not failed, with video), or a new import of the URL."""
    if body.source_url is not None:
        imported = await uploads.import_url(
            pool, settings, clients.ingest, feed, tenant_id=tenant_id, url=str(body.source_url), filename=""
        )
        return imported.id
    assert body.asset_id is not None
    ingest = clients.ingest
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=body.asset_id)
    asset = await ingest.calling(lambda: ingest.stub.GetAsset(ref, timeout=ingest.timeout_s))
    if asset.status == "failed":
        raise ProblemError("asset_failed", f"asset {body.asset_id} failed: {asset.error_code}")
    if asset.HasField("media") and not asset.media.has_video:
        raise ProblemError("no_video", f"asset {body.asset_id} has no video track: there is nothing to clip")
    return body.asset_id


def _options(body: ClipJobCreate) -> render_pb2.ClipJobOptions:
    captions = body.captions if isinstance(body.captions, Captions) else None
    export = body.export
    return render_pb2.ClipJobOptions(
        count=body.count,
        min_duration_s=body.min_duration,
        max_duration_s=body.max_duration,
        aspect=body.aspect,
        caption_style=captions.style if captions else "",
        caption_position=captions.position if captions else "bottom",
        prompt=body.prompt or "",
        language=body.language or "",
        export=render_pb2.ExportPreset(
            codec=export.codec,
            resolution=export.resolution,
            fps=export.fps,
            crf=export.crf or 0,
            video_bitrate_kbps=export.video_bitrate_kbps or 0,
            audio_bitrate_kbps=export.audio_bitrate_kbps,
        ),
    )


async def request_clip_job(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    body: ClipJobCreate,
) -> Job:
    """Start a clip job; the answer is the job (kind ``clipjob``, its resource the clip job)."""
    asset_id = await _source_asset(pool, settings, clients, feed, tenant_id=tenant_id, body=body)
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = render_pb2.ClipJobRequest(tenant_id=tenant_id, job_id=job_id, asset_id=asset_id, options=_options(body))
    render = clients.render
    accepted = await render.calling(lambda: render.stub.RequestClipJob(request, timeout=render.timeout_s))
    at = datetime.now(UTC)
    await record_job(feed, tenant_id=tenant_id, job_id=job_id, kind=KIND, resource_id=accepted.clip_job_id, at=at)
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


def _link(url: str, expires: datetime | None) -> Link | None:
    return Link(url=url, expires_at=expires) if url and expires else None


def clip_job_view(message: render_pb2.ClipJob) -> ClipJob:
    created = datetime_of(message.created_at)
    assert created is not None
    options = message.options
    clips = []
    for clip in message.clips:
        expires = datetime_of(clip.urls_expire_at)
        clips.append(
            Clip(
                index=clip.index,
                start_s=clip.start_s,
                end_s=clip.end_s,
                duration_s=round(clip.end_s - clip.start_s, 3),
                score=clip.score,
                reasons=[
                    ClipReason(feature=r.feature, value=r.value, weight=r.weight, detail=r.detail) for r in clip.reasons
                ],
                title=clip.title,
                excerpt=clip.excerpt,
                hashtags=list(clip.hashtags),
                width=clip.width,
                height=clip.height,
                framing=clip.framing,
                video=_link(clip.video_url, expires),
                thumbnail=_link(clip.thumbnail_url, expires),
                subtitles=_link(clip.subtitles_url, expires),
            )
        )
    captions = None
    if options.caption_style:
        captions = Captions.model_validate({"style": options.caption_style, "position": options.caption_position})
    return ClipJob(
        id=message.id,
        job_id=message.job_id,
        asset_id=message.asset_id,
        status=message.status,
        count=options.count,
        aspect=options.aspect,
        captions=captions,
        prompt=options.prompt or None,
        clips=clips,
        error=JobError(code=message.error_code, message=message.error_message) if message.error_code else None,
        created_at=created,
        completed_at=datetime_of(message.completed_at),
    )


async def get_clip_job(render: RenderClient, *, tenant_id: str, clip_job_id: str) -> ClipJob:
    request = render_pb2.GetClipJobRequest(tenant_id=tenant_id, clip_job_id=clip_job_id)
    found = await render.calling(lambda: render.stub.GetClipJob(request, timeout=render.timeout_s))
    return clip_job_view(found)
