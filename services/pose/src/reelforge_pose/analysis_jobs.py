"""Pose analyses as jobs: the consumer of ``pose.requested``.

The analysis row (made by ``RequestPoseAnalysis`` with the event) says what
to do; the track goes to S3 and ``pose.completed`` is committed with the
row's new state and the inbox record, exactly once. Nobody in the video is
a completed analysis flagged ``no_person``, not a failure.
"""

from __future__ import annotations

import logging
import uuid

from reelforge.events.v1.pose_pb2 import PoseCompleted, PoseRequested
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.job_events import JobEvents
from reelforge_pose.analysing import Analyser, Request
from reelforge_pose.frames import DecodeError
from reelforge_pose.store import analyses, assets
from reelforge_pose.store.analyses import AnalysisRow

log = logging.getLogger(__name__)
POSE_EVENTS = JobEvents(producer="pose", domain="pose")
# The durable consumer of pose and comparison jobs.
JOBS_CONSUMER = "pose-jobs"
MAX_DELIVER = 5


class AssetNotSeenYetError(Exception):
    """The job was requested before this service heard of the asset."""


def new_analysis_id() -> str:
    return "pa_" + uuid.uuid4().hex


class AnalysisJobs:
    def __init__(self, db: Database, analyser: Analyser) -> None:
        self._db = db
        self._analyser = analyser

    def routes(self) -> tuple[Route[PoseRequested]]:
        return (Route("pose.requested", PoseRequested, self.on_requested),)

    async def on_requested(self, event: Event[PoseRequested]) -> None:
        requested = event.payload
        row = await analyses.analysis_by_id(self._db.pool, tenant_id=event.tenant_id, analysis_id=requested.analysis_id)
        if row is None or row.status in {"completed", "failed"}:
            return  # the asset was deleted meanwhile, or an earlier delivery finished it
        video = await assets.asset_video(self._db.pool, tenant_id=row.tenant_id, asset_id=row.asset_id)
        if video is None:
            if event.attempt < MAX_DELIVER:
                raise AssetNotSeenYetError(row.asset_id)  # retried: ingest's event may be on its way
            await self._fail(row, event, "asset_not_found", f"no ingested asset {row.asset_id}")
            return
        if not video.proxy_key:
            await self._fail(row, event, "no_video", f"asset {row.asset_id} has no video track to analyse")
            return
        await analyses.mark_analysis_running(self._db.pool, tenant_id=row.tenant_id, analysis_id=row.id)
        await self._progress(row, event, "downloading", 0.0)

        async def report(fraction: float) -> None:
            await self._progress(row, event, "analysing", 0.05 + 0.9 * fraction)

        request = Request(row.tenant_id, row.asset_id, row.id, row.sample_fps, row.max_people)
        try:
            _track, result = await self._analyser.run(request, video, report)
        except DecodeError as exc:
            await self._fail(row, event, "media_unreadable", f"the video does not decode: {exc}")
            return
        except Exception as exc:
            if event.attempt < MAX_DELIVER:
                raise  # retried after the subscription's backoff
            await self._fail(row, event, "pose_failed", f"gave up after {event.attempt} attempts: {exc}")
            return
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=JOBS_CONSUMER, event_id=event.event_id):
                return
            if await analyses.analysis_by_id(conn, tenant_id=row.tenant_id, analysis_id=row.id, lock=True) is None:
                return  # the asset was deleted while analysing
            await analyses.complete_analysis(conn, tenant_id=row.tenant_id, analysis_id=row.id, result=result)
            completed = PoseCompleted(
                asset_id=row.asset_id,
                track_id=row.id,
                frame_count=result.frames_analysed,
                people_detected=result.people_seen,
                no_person=result.no_person,
                frames_with_person=result.frames_with_person,
                mean_visibility=result.mean_visibility,
                sample_fps=result.sample_fps,
                track_key=result.track_key,
            )
            await POSE_EVENTS.emit(
                conn, "completed", completed, tenant_id=row.tenant_id, job_id=row.job_id, causation_id=event.event_id
            )
        log.info("pose analysis completed", extra={"analysis_id": row.id, "frames": result.frames_analysed})

    async def _progress(self, row: AnalysisRow, event: Event[PoseRequested], stage: str, fraction: float) -> None:
        async with self._db.transaction() as conn:
            await POSE_EVENTS.progress(
                conn,
                tenant_id=row.tenant_id,
                job_id=row.job_id,
                resource_id=row.asset_id,
                stage=stage,
                fraction=fraction,
                causation_id=event.event_id,
            )

    async def _fail(self, row: AnalysisRow, event: Event[PoseRequested], code: str, message: str) -> None:
        async def record(conn: Connection) -> bool:
            if await analyses.analysis_by_id(conn, tenant_id=row.tenant_id, analysis_id=row.id, lock=True) is None:
                return False
            await analyses.fail_analysis(conn, tenant_id=row.tenant_id, analysis_id=row.id, code=code, message=message)
            return True

        failed = await POSE_EVENTS.fail_once(
            self._db,
            consumer=JOBS_CONSUMER,
            event_id=event.event_id,
            record=record,
            tenant_id=row.tenant_id,
            job_id=row.job_id,
            resource_id=row.asset_id,
            code=code,
            message=message,
            stage="analysing",
        )
        if failed:
            log.info("pose analysis failed", extra={"analysis_id": row.id, "code": code})
