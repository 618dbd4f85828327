"""Clip jobs: a long video in, its best moments out as ready-to-post clips."""

from __future__ import annotations

from fastapi import APIRouter, status

from reelforge_gateway.api.clip_schemas import ClipJob, ClipJobCreate
from reelforge_gateway.api.deps import Clients, Feed, Pool, Reader, Render, Settings, Writer
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.operations import clip_jobs
from reelforge_gateway.problems import documented

router = APIRouter(prefix="/v1/clip-jobs", tags=["clips"], responses=documented("unauthenticated", "forbidden"))


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(
        "not_found",
        "asset_failed",
        "no_video",
        "validation_failed",
        "url_forbidden",
        "url_unresolvable",
        "concurrent_jobs_exceeded",
        "monthly_minutes_exceeded",
        "unavailable",
    ),
)
async def create_clip_job(
    body: ClipJobCreate, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> Job:
    """Find the best moments of a video and render them as clips: cut on
    sentence boundaries, reframed to the aspect following the speaker,
    captioned, loudness-normalised. Give an `asset_id` (it may still be
    processing) or a `source_url` to import. The job (kind `clipjob`) asks for
    the transcript and pose track (reusing finished ones), plans, renders;
    follow it in `/v1/jobs/{id}` or its events, then read
    `GET /v1/clip-jobs/{resource_id}`."""
    return await clip_jobs.request_clip_job(pool, settings, clients, feed, tenant_id=caller.tenant_id, body=body)


@router.get("/{clip_job_id}", responses=documented("not_found"))
async def get_clip_job(clip_job_id: str, caller: Reader, render: Render) -> ClipJob:
    """A clip job: its state, its plan (each clip's times, score and the
    reasons for it, title, excerpt) and, once completed, presigned links to
    each clip's MP4, thumbnail and SRT (valid for an hour)."""
    return await clip_jobs.get_clip_job(render, tenant_id=caller.tenant_id, clip_job_id=clip_job_id)
