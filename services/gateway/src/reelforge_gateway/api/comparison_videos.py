"""Videos of pose comparisons: the reference and the attempt side by side."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from reelforge.render.v1 import render_pb2
from reelforge_gateway.api.deps import Clients, Feed, Pool, Reader, Settings, Writer
from reelforge_gateway.api.pose_schemas import RenderedVideo
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.operations import comparison_videos as operations
from reelforge_gateway.problems import documented

router = APIRouter(tags=["pose"], responses=documented("unauthenticated", "forbidden", "unavailable"))


class ComparisonVideoCreate(BaseModel):
    resolution: Literal["480p", "720p", "1080p"] = Field(default="720p", description="The video's height")
    format: Literal["mp4", "webm"] = Field(default="mp4", description="mp4 (h264) or webm (VP9)")
    layout: Literal["side_by_side", "interleaved"] = Field(
        default="side_by_side",
        description="side_by_side, or interleaved: a second of the reference, then the same second of the attempt",
    )


class ComparisonVideo(RenderedVideo):
    job_id: str = Field(description="Follow it in /v1/jobs (kind `comparevideo`)")
    comparison_id: str
    duration: float = Field(description="Seconds, once completed: the comparison's aligned length (twice, interleaved)")

    @classmethod
    def from_message(cls, video: render_pb2.ComparisonVideo) -> ComparisonVideo:
        return cls(comparison_id=video.comparison_id, **cls.fields_of(video))


@router.post(
    "/v1/comparisons/{comparison_id}/video",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(
        "not_found", "validation_failed", "comparison_not_ready", "concurrent_jobs_exceeded", "monthly_minutes_exceeded"
    ),
)
async def request_comparison_video(
    comparison_id: str,
    caller: Writer,
    pool: Pool,
    settings: Settings,
    clients: Clients,
    feed: Feed,
    body: ComparisonVideoCreate | None = None,
) -> Job:
    """A video of a completed comparison: the reference (left) and the
    attempt (right), time-aligned along the comparison's alignment, each
    subject's skeleton drawn (the weakest segment's joint in red), the score
    and the weakest segment's feedback written on it; no sound. The job (kind
    `comparevideo`) shows the progress; read `GET /v1/comparison-videos/{resource_id}`."""
    chosen = body or ComparisonVideoCreate()
    return await operations.request_video(
        pool, settings, clients, feed, tenant_id=caller.tenant_id, comparison_id=comparison_id,
        resolution=chosen.resolution, container=chosen.format, layout=chosen.layout,
    )  # fmt: skip


@router.get("/v1/comparison-videos/{video_id}", responses=documented("not_found"))
async def get_comparison_video(video_id: str, caller: Reader, clients: Clients) -> ComparisonVideo:
    """A comparison video: its state and, once completed, its URL."""
    found = await operations.get_video(clients, tenant_id=caller.tenant_id, video_id=video_id)
    return ComparisonVideo.from_message(found)
