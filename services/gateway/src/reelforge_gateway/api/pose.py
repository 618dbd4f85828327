"""Pose analyses and movement comparisons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from reelforge_gateway.api.deps import Clients, Feed, Pool, Pose, Reader, Settings, Writer
from reelforge_gateway.api.pose_schemas import (
    Comparison,
    ComparisonCreate,
    ComparisonPage,
    PoseAnalysis,
    PoseAnalysisCreate,
    PoseSignals,
)
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.operations import pose as operations
from reelforge_gateway.problems import documented

router = APIRouter(tags=["pose"], responses=documented("unauthenticated", "forbidden"))
_STARTING = (
    "not_found",
    "asset_not_ready",
    "no_video",
    "validation_failed",
    "concurrent_jobs_exceeded",
    "monthly_minutes_exceeded",
    "unavailable",
)


@router.post("/v1/pose-analyses", status_code=status.HTTP_202_ACCEPTED, responses=documented(*_STARTING))
async def create_pose_analysis(
    body: PoseAnalysisCreate, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> Job:
    """Find the people in a ready video asset, frame by frame: 33 body landmarks
    each (MediaPipe PoseLandmarker), tracked across frames, with a main subject.
    The answer is the job (kind `pose`); then read `GET /v1/pose-analyses/{asset_id}`.
    A video without anybody in it completes with `no_person`; an audio-only
    asset is refused (`no_video`)."""
    return await operations.request_pose_analysis(pool, settings, clients, feed, tenant_id=caller.tenant_id, body=body)


@router.get("/v1/pose-analyses/{asset_id}", responses=documented("not_found"))
async def get_pose_analysis(asset_id: str, caller: Reader, pose: Pose) -> PoseAnalysis:
    """The asset's latest pose analysis: its state and summary (frames, people, visibility)."""
    found = await operations.get_pose_analysis(pose, tenant_id=caller.tenant_id, asset_id=asset_id)
    return operations.analysis_view(found)


@router.get("/v1/pose-analyses/{asset_id}/signals", responses=documented("not_found", "pose_not_ready", "pose_failed"))
async def get_pose_signals(asset_id: str, caller: Reader, pose: Pose) -> PoseSignals:
    """What the latest completed analysis says about the main subject, frame by
    frame: its smoothed box (who to keep in frame), its motion energy per second
    (when the action is) and its joint angles."""
    found = await operations.get_pose_signals(pose, tenant_id=caller.tenant_id, asset_id=asset_id)
    return operations.signals_view(found)


@router.post("/v1/comparisons", status_code=status.HTTP_202_ACCEPTED, responses=documented(*_STARTING))
async def create_comparison(
    body: ComparisonCreate, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> Job:
    """Compare a person's attempt with a reference movement: both are analysed
    (or earlier analyses reused), time-aligned, and scored 0 to 100 overall and
    per segment, with feedback on the joints that differ most. The answer is the job (kind
    `compare`, its `resource_id` the comparison's id); then read
    `GET /v1/comparisons/{id}`."""
    return await operations.request_comparison(pool, settings, clients, feed, tenant_id=caller.tenant_id, body=body)


@router.get("/v1/comparisons", responses=documented("validation_failed"))
async def list_comparisons(
    caller: Reader,
    pose: Pose,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")] = None,
    asset_id: Annotated[str | None, Query(max_length=100, description="Only comparisons of this asset")] = None,
) -> ComparisonPage:
    """The tenant's comparisons, newest first (summaries: no segments)."""
    page = await operations.list_comparisons(
        pose, tenant_id=caller.tenant_id, limit=limit, cursor=cursor, asset_id=asset_id
    )
    return operations.comparison_page(page)


@router.get("/v1/comparisons/{comparison_id}", responses=documented("not_found"))
async def get_comparison(
    comparison_id: str,
    caller: Reader,
    pose: Pose,
    alignment: Annotated[bool, Query(description="Include the alignment path")] = False,
) -> Comparison:
    """A comparison: its state and, once completed, the overall score, the
    segments' scores and their feedback."""
    found = await operations.get_comparison(
        pose, tenant_id=caller.tenant_id, comparison_id=comparison_id, alignment=alignment
    )
    return operations.comparison_view(found, alignment=alignment)
