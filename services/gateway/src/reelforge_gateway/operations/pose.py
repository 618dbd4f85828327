"""Pose analyses and comparisons: started as jobs on ready video assets, read back from the pose service."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import asyncpg

from reelforge.ingest.v1 import ingest_pb2
from reelforge.pose.v1 import pose_pb2
from reelforge_common.proto_time import datetime_of
from reelforge_gateway.api.pose_schemas import (
    AlignedFrame,
    Comparison,
    ComparisonCreate,
    ComparisonPage,
    ComparisonSegment,
    Feedback,
    PoseAnalysis,
    PoseAnalysisCreate,
    PoseSignals,
    SubjectBox,
    TimeSpan,
)
from reelforge_gateway.api.schemas import Job, JobError
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients, PoseClient
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import admit, new_job_id, record_job
from reelforge_gateway.operations.jobs import get_job
from reelforge_gateway.problems import ProblemError

POSE_KIND, COMPARE_KIND = "pose", "compare"


async def _video_asset(clients: InternalClients, *, tenant_id: str, asset_id: str) -> None:
    """Refuse an asset that is not ready, or has no video (another tenant's is not_found)."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    asset = await clients.ingest.calling(lambda: clients.ingest.stub.GetAsset(ref, timeout=clients.ingest.timeout_s))
    if asset.status != "ready":
        raise ProblemError("asset_not_ready", f"asset {asset_id} is {asset.status}")
    if not asset.media.has_video:
        raise ProblemError("no_video", f"asset {asset_id} has no video track: there is nobody to see")


async def request_pose_analysis(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    body: PoseAnalysisCreate,
) -> Job:
    """Start the pose analysis of a ready video asset; the answer is the job."""
    await _video_asset(clients, tenant_id=tenant_id, asset_id=body.asset_id)
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = pose_pb2.PoseAnalysisRequest(
        tenant_id=tenant_id,
        job_id=job_id,
        asset_id=body.asset_id,
        sample_fps=body.sample_fps or 0.0,
        max_people=body.max_people or 0,
    )
    pose = clients.pose
    await pose.calling(lambda: pose.stub.RequestPoseAnalysis(request, timeout=pose.timeout_s))
    at = datetime.now(UTC)
    await record_job(feed, tenant_id=tenant_id, job_id=job_id, kind=POSE_KIND, resource_id=body.asset_id, at=at)
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


def _error(code: str, message: str) -> JobError | None:
    return JobError(code=code, message=message) if code else None


def analysis_view(message: pose_pb2.PoseAnalysis) -> PoseAnalysis:
    created = datetime_of(message.created_at)
    assert created is not None
    return PoseAnalysis(
        id=message.id,
        asset_id=message.asset_id,
        job_id=message.job_id or None,
        status=message.status,
        sample_fps=message.sample_fps,
        max_people=message.max_people,
        model=message.model,
        frames_analysed=message.frames_analysed,
        frames_with_person=message.frames_with_person,
        mean_visibility=message.mean_visibility,
        people_seen=message.people_seen,
        no_person=message.no_person,
        duration_s=message.duration_s,
        width=message.width,
        height=message.height,
        error=_error(message.error_code, message.error_message),
        created_at=created,
        completed_at=datetime_of(message.completed_at),
    )


async def get_pose_analysis(pose: PoseClient, *, tenant_id: str, asset_id: str) -> pose_pb2.PoseAnalysis:
    request = pose_pb2.GetPoseAnalysisRequest(tenant_id=tenant_id, asset_id=asset_id)
    return await pose.calling(lambda: pose.stub.GetPoseAnalysis(request, timeout=pose.timeout_s))


async def get_pose_signals(pose: PoseClient, *, tenant_id: str, asset_id: str) -> pose_pb2.PoseSignals:
    request = pose_pb2.GetPoseAnalysisRequest(tenant_id=tenant_id, asset_id=asset_id)
    return await pose.calling(lambda: pose.stub.GetPoseSignals(request, timeout=pose.timeout_s))


def _known(values: list[float]) -> list[float | None]:
    return [None if math.isnan(value) else value for value in values]


def signals_view(message: pose_pb2.PoseSignals) -> PoseSignals:
    return PoseSignals(
        analysis_id=message.analysis_id,
        asset_id=message.asset_id,
        sample_fps=message.sample_fps,
        width=message.width,
        height=message.height,
        times_s=list(message.times_s),
        subject_boxes=[
            SubjectBox(x=box.x, y=box.y, width=box.width, height=box.height, observed=box.observed)
            if box.present
            else None
            for box in message.subject_boxes
        ],
        motion_energy=list(message.motion_energy),
        joint_angles={series.joint: _known(list(series.degrees)) for series in message.joint_angles},
    )


def _span(span: TimeSpan | None) -> pose_pb2.TimeSpan:
    if span is None:
        return pose_pb2.TimeSpan()
    return pose_pb2.TimeSpan(start_s=span.start_s, end_s=span.end_s or 0.0)


async def request_comparison(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    body: ComparisonCreate,
) -> Job:
    """Start comparing an attempt with a reference; the answer is the job (its resource is the comparison)."""
    for asset_id in (body.reference_asset_id, body.attempt_asset_id):
        await _video_asset(clients, tenant_id=tenant_id, asset_id=asset_id)
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = pose_pb2.ComparisonRequest(
        tenant_id=tenant_id,
        job_id=job_id,
        reference_asset_id=body.reference_asset_id,
        attempt_asset_id=body.attempt_asset_id,
        reference_span=_span(body.reference_span),
        attempt_span=_span(body.attempt_span),
    )
    pose = clients.pose
    accepted = await pose.calling(lambda: pose.stub.RequestComparison(request, timeout=pose.timeout_s))
    at = datetime.now(UTC)
    await record_job(
        feed, tenant_id=tenant_id, job_id=job_id, kind=COMPARE_KIND, resource_id=accepted.comparison_id, at=at
    )
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


def _time_span(span: pose_pb2.TimeSpan) -> TimeSpan:
    return TimeSpan(start_s=span.start_s, end_s=span.end_s or None)


def comparison_view(message: pose_pb2.Comparison, *, alignment: bool = False) -> Comparison:
    created = datetime_of(message.created_at)
    assert created is not None
    return Comparison(
        id=message.id,
        job_id=message.job_id,
        status=message.status,
        reference_asset_id=message.reference_asset_id,
        attempt_asset_id=message.attempt_asset_id,
        reference_span=_time_span(message.reference_span),
        attempt_span=_time_span(message.attempt_span),
        score=message.score if message.status == "completed" else None,
        mirrored=message.mirrored,
        sample_fps=message.sample_fps,
        segments=[
            ComparisonSegment(
                reference_start_s=segment.reference_start_s,
                reference_end_s=segment.reference_end_s,
                attempt_start_s=segment.attempt_start_s,
                attempt_end_s=segment.attempt_end_s,
                score=segment.score,
                weak=segment.weak,
                differences={item.joint: item.difference_deg for item in segment.differences},
                feedback=[Feedback.from_message(item) for item in segment.feedback],
            )
            for segment in message.segments
        ],
        feedback=[Feedback.from_message(item) for item in message.feedback],
        alignment=[AlignedFrame(reference_s=p.reference_s, attempt_s=p.attempt_s) for p in message.alignment]
        if alignment
        else None,
        error=_error(message.error_code, message.error_message),
        created_at=created,
        completed_at=datetime_of(message.completed_at),
    )


async def get_comparison(
    pose: PoseClient, *, tenant_id: str, comparison_id: str, alignment: bool
) -> pose_pb2.Comparison:
    request = pose_pb2.GetComparisonRequest(
        tenant_id=tenant_id, comparison_id=comparison_id, include_alignment=alignment
    )
    return await pose.calling(lambda: pose.stub.GetComparison(request, timeout=pose.timeout_s))


async def list_comparisons(
    pose: PoseClient, *, tenant_id: str, limit: int, cursor: str | None, asset_id: str | None
) -> pose_pb2.ComparisonPage:
    request = pose_pb2.ListComparisonsRequest(
        tenant_id=tenant_id, limit=limit, cursor=cursor or "", asset_id=asset_id or ""
    )
    return await pose.calling(lambda: pose.stub.ListComparisons(request, timeout=pose.timeout_s))


def comparison_page(page: pose_pb2.ComparisonPage) -> ComparisonPage:
    return ComparisonPage(items=[comparison_view(item) for item in page.items], next_cursor=page.next_cursor or None)
