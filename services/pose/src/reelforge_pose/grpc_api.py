"""The ``reelforge.pose.v1.Pose`` gRPC service, called by the gateway (and by render, for signals)."""

from __future__ import annotations

import json
from typing import Any

import grpc

from reelforge.events.v1.pose_pb2 import CompareRequested, PoseRequested, TimeSpan
from reelforge.pose.v1 import pose_pb2, pose_pb2_grpc
from reelforge_common.db import Database
from reelforge_common.grpc_server import refuse
from reelforge_common.pagination import decode_cursor, encode_cursor
from reelforge_common.proto_time import timestamp
from reelforge_common.storage import ObjectStore
from reelforge_pose import signals
from reelforge_pose.analysing import Analyser
from reelforge_pose.analysis_jobs import POSE_EVENTS, new_analysis_id
from reelforge_pose.comparison_jobs import COMPARE_EVENTS, new_comparison_id
from reelforge_pose.config import PoseSettings
from reelforge_pose.skeleton import JOINT_NAMES
from reelforge_pose.store import analyses, assets, comparisons
from reelforge_pose.store.analyses import AnalysisRow
from reelforge_pose.store.comparisons import ComparisonRow, Spans

SERVICE_NAME = "reelforge.pose.v1.Pose"
MAX_FPS, MAX_PEOPLE = 60.0, 10
_DEFAULT_PAGE, _MAX_PAGE = 20, 100


def analysis_message(row: AnalysisRow) -> pose_pb2.PoseAnalysis:
    return pose_pb2.PoseAnalysis(
        id=row.id,
        asset_id=row.asset_id,
        job_id=row.job_id,
        status=row.status,
        sample_fps=row.sample_fps,
        max_people=row.max_people,
        model=row.model,
        frames_analysed=row.frames_analysed,
        frames_with_person=row.frames_with_person,
        mean_visibility=row.mean_visibility,
        people_seen=row.people_seen,
        no_person=row.no_person,
        duration_s=row.duration_s,
        width=row.width,
        height=row.height,
        error_code=row.error_code or "",
        error_message=row.error_message or "",
        created_at=timestamp(row.created_at),
        completed_at=timestamp(row.completed_at),
    )


def _feedback(item: dict[str, Any]) -> pose_pb2.Feedback:
    return pose_pb2.Feedback(**item)


def comparison_message(
    row: ComparisonRow, document: dict[str, Any] | None, *, include_alignment: bool
) -> pose_pb2.Comparison:
    message = pose_pb2.Comparison(
        id=row.id,
        job_id=row.job_id,
        status=row.status,
        reference_asset_id=row.reference_asset_id,
        attempt_asset_id=row.attempt_asset_id,
        reference_span=pose_pb2.TimeSpan(start_s=row.reference_start_s, end_s=row.reference_end_s),
        attempt_span=pose_pb2.TimeSpan(start_s=row.attempt_start_s, end_s=row.attempt_end_s),
        score=row.score or 0.0,
        mirrored=row.mirrored,
        sample_fps=row.sample_fps,
        error_code=row.error_code or "",
        error_message=row.error_message or "",
        created_at=timestamp(row.created_at),
        completed_at=timestamp(row.completed_at),
    )
    if document is None:
        return message
    for segment in document["segments"]:
        message.segments.append(
            pose_pb2.ComparisonSegment(
                reference_start_s=segment["reference_start_s"],
                reference_end_s=segment["reference_end_s"],
                attempt_start_s=segment["attempt_start_s"],
                attempt_end_s=segment["attempt_end_s"],
                score=segment["score"],
                weak=segment["weak"],
                differences=[
                    pose_pb2.JointDifference(joint=joint, difference_deg=value)
                    for joint, value in segment["differences"].items()
                ],
                feedback=[_feedback(item) for item in segment["feedback"]],
            )
        )
    message.feedback.extend(_feedback(item) for item in document["feedback"])
    if include_alignment:
        message.alignment.extend(pose_pb2.AlignedFrame(**pair) for pair in document["alignment"])
    return message


class PoseService(pose_pb2_grpc.PoseServicer):
    def __init__(self, settings: PoseSettings, db: Database, store_: ObjectStore, analyser: Analyser) -> None:
        self._settings = settings
        self._db = db
        self._store = store_
        self._analyser = analyser

    def register(self, server: grpc.aio.Server) -> None:
        pose_pb2_grpc.add_PoseServicer_to_server(self, server)

    async def _refuse_without_video(self, context: grpc.aio.ServicerContext, tenant_id: str, asset_id: str) -> None:
        """Audio-only assets cannot be analysed (unknown assets are left to the job: ingest may still announce them)."""
        video = await assets.asset_video(self._db.pool, tenant_id=tenant_id, asset_id=asset_id)
        if video is not None and not video.proxy_key:
            await refuse(
                context,
                grpc.StatusCode.FAILED_PRECONDITION,
                "no_video",
                f"asset {asset_id} has no video track: there is nobody to see",
            )

    async def RequestPoseAnalysis(
        self, request: pose_pb2.PoseAnalysisRequest, context: grpc.aio.ServicerContext
    ) -> pose_pb2.PoseAnalysisAccepted:
        if not 0 <= request.sample_fps <= MAX_FPS or request.max_people > MAX_PEOPLE:
            await refuse(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "validation_failed",
                f"sample_fps: 0 to {MAX_FPS:g} (0: {self._settings.sample_fps:g}); max_people: 0 to {MAX_PEOPLE}",
            )
        await self._refuse_without_video(context, request.tenant_id, request.asset_id)
        earlier = await analyses.analysis_for_job(self._db.pool, tenant_id=request.tenant_id, job_id=request.job_id)
        if earlier is not None:  # a retried request: the job exists already
            return pose_pb2.PoseAnalysisAccepted(analysis_id=earlier.id)
        analysis_id = new_analysis_id()
        fps = request.sample_fps or self._settings.sample_fps
        people = request.max_people or self._settings.max_people
        async with self._db.transaction() as conn:
            await analyses.create_analysis(
                conn,
                tenant_id=request.tenant_id,
                analysis_id=analysis_id,
                asset_id=request.asset_id,
                job_id=request.job_id,
                sample_fps=fps,
                max_people=people,
                model=self._analyser.model,
            )
            requested = PoseRequested(
                asset_id=request.asset_id, sample_fps=fps, max_people=people, analysis_id=analysis_id
            )
            await POSE_EVENTS.emit(conn, "requested", requested, tenant_id=request.tenant_id, job_id=request.job_id)
        return pose_pb2.PoseAnalysisAccepted(analysis_id=analysis_id)

    async def GetPoseAnalysis(
        self, request: pose_pb2.GetPoseAnalysisRequest, context: grpc.aio.ServicerContext
    ) -> pose_pb2.PoseAnalysis:
        row = await analyses.latest_analysis(self._db.pool, tenant_id=request.tenant_id, asset_id=request.asset_id)
        if row is None:
            await refuse(
                context, grpc.StatusCode.NOT_FOUND, "not_found", f"no pose analysis of asset {request.asset_id}"
            )
        return analysis_message(row)

    async def GetPoseSignals(
        self, request: pose_pb2.GetPoseAnalysisRequest, context: grpc.aio.ServicerContext
    ) -> pose_pb2.PoseSignals:
        pool, tenant_id, asset_id = self._db.pool, request.tenant_id, request.asset_id
        row = await analyses.latest_analysis(pool, tenant_id=tenant_id, asset_id=asset_id, completed=True)
        if row is None:
            latest = await analyses.latest_analysis(pool, tenant_id=tenant_id, asset_id=asset_id)
            if latest is None:
                await refuse(context, grpc.StatusCode.NOT_FOUND, "not_found", f"no pose analysis of asset {asset_id}")
            code = "pose_failed" if latest.status == "failed" else "pose_not_ready"
            await refuse(context, grpc.StatusCode.FAILED_PRECONDITION, code, f"the pose analysis is {latest.status}")
        track = await self._analyser.load(row)
        boxes = signals.subject_boxes(track)
        image, world = track.subject()
        angles = signals.joint_angles(world)
        subject_boxes = []
        for box, observed, present in zip(boxes.boxes, boxes.observed, boxes.present, strict=True):
            if present:
                x0, y0, x1, y1 = (float(v) for v in box)
                subject_boxes.append(
                    pose_pb2.SubjectBox(
                        x=x0, y=y0, width=x1 - x0, height=y1 - y0, observed=bool(observed), present=True
                    )
                )
            else:
                subject_boxes.append(pose_pb2.SubjectBox())
        return pose_pb2.PoseSignals(
            analysis_id=row.id,
            asset_id=row.asset_id,
            sample_fps=track.fps,
            times_s=[float(t) for t in track.times],
            subject_boxes=subject_boxes,
            motion_energy=[float(v) for v in signals.motion_energy(track, row.duration_s)],
            joint_angles=[
                pose_pb2.JointAngleSeries(joint=name, degrees=[float(v) for v in angles[:, index]])
                for index, name in enumerate(JOINT_NAMES)
            ],
            width=track.width,
            height=track.height,
            subject_landmarks=image[:, :, [0, 1, 3]].ravel().tolist() if request.include_landmarks else [],
        )

    async def RequestComparison(
        self, request: pose_pb2.ComparisonRequest, context: grpc.aio.ServicerContext
    ) -> pose_pb2.ComparisonAccepted:
        for name in ("reference_span", "attempt_span"):
            span = getattr(request, name)
            if span.start_s < 0 or span.end_s < 0 or (span.end_s and span.end_s <= span.start_s):
                await refuse(
                    context,
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "validation_failed",
                    f"{name}: start_s >= 0 and end_s > start_s (end_s 0: to the end)",
                )
        for asset_id in (request.reference_asset_id, request.attempt_asset_id):
            await self._refuse_without_video(context, request.tenant_id, asset_id)
        comparison_id = new_comparison_id()
        spans = Spans(
            request.reference_span.start_s,
            request.reference_span.end_s,
            request.attempt_span.start_s,
            request.attempt_span.end_s,
        )
        async with self._db.transaction() as conn:
            await comparisons.create_comparison(
                conn,
                tenant_id=request.tenant_id,
                comparison_id=comparison_id,
                job_id=request.job_id,
                reference_asset_id=request.reference_asset_id,
                attempt_asset_id=request.attempt_asset_id,
                spans=spans,
                sample_fps=self._settings.sample_fps,
            )
            requested = CompareRequested(
                comparison_id=comparison_id,
                reference_asset_id=request.reference_asset_id,
                attempt_asset_id=request.attempt_asset_id,
                reference_span=TimeSpan(start_s=spans.reference_start_s, end_s=spans.reference_end_s),
                attempt_span=TimeSpan(start_s=spans.attempt_start_s, end_s=spans.attempt_end_s),
            )
            await COMPARE_EVENTS.emit(conn, "requested", requested, tenant_id=request.tenant_id, job_id=request.job_id)
        return pose_pb2.ComparisonAccepted(comparison_id=comparison_id)

    async def _document(self, row: ComparisonRow) -> dict[str, Any] | None:
        if row.status != "completed" or not row.result_key:
            return None
        document: dict[str, Any] = json.loads(await self._store.read(row.result_key))
        return document

    async def GetComparison(
        self, request: pose_pb2.GetComparisonRequest, context: grpc.aio.ServicerContext
    ) -> pose_pb2.Comparison:
        row = await comparisons.comparison_by_id(
            self._db.pool, tenant_id=request.tenant_id, comparison_id=request.comparison_id
        )
        if row is None:
            await refuse(context, grpc.StatusCode.NOT_FOUND, "not_found", f"no comparison {request.comparison_id}")
        return comparison_message(row, await self._document(row), include_alignment=request.include_alignment)

    async def ListComparisons(
        self, request: pose_pb2.ListComparisonsRequest, context: grpc.aio.ServicerContext
    ) -> pose_pb2.ComparisonPage:
        if request.limit > _MAX_PAGE:
            await refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "validation_failed", f"limit: 1 to {_MAX_PAGE}")
        try:
            after = decode_cursor(request.cursor) if request.cursor else None
        except ValueError as exc:
            await refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "validation_failed", f"cursor: {exc}")
        limit = request.limit or _DEFAULT_PAGE
        rows = await comparisons.list_comparisons(
            self._db.pool, tenant_id=request.tenant_id, limit=limit + 1, after=after, asset_id=request.asset_id
        )
        page = pose_pb2.ComparisonPage(
            items=[comparison_message(row, None, include_alignment=False) for row in rows[:limit]]
        )
        if len(rows) > limit:
            last = rows[limit - 1]
            page.next_cursor = encode_cursor(last.created_at, last.id)
        return page
