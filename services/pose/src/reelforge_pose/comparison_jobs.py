"""Comparisons as jobs: the consumer of ``compare.requested``.

Each side's pose track is reused when the asset was already analysed with
the service's settings, else analysed here (and kept, for the next
comparison and for ``GET /v1/pose-analyses``). The tracks are cut to the
requested spans and compared; the full result goes to S3 as JSON and
``compare.completed`` is committed with the row and the inbox record.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import Awaitable, Callable

import torch

from reelforge.events.v1.pose_pb2 import CompareCompleted, CompareRequested
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_pose.analysing import Analyser, Request
from reelforge_pose.analysis_jobs import JOBS_CONSUMER, MAX_DELIVER, AssetNotSeenYetError, new_analysis_id
from reelforge_pose.comparison import ComparisonConfig, NoPersonError, Result, compare
from reelforge_pose.frames import DecodeError
from reelforge_pose.results import result_to_json
from reelforge_pose.store import analyses, assets, comparisons
from reelforge_pose.store.comparisons import ComparisonRow
from reelforge_pose.track import PoseTrack

log = logging.getLogger(__name__)
COMPARE_EVENTS = JobEvents(producer="pose", domain="compare")
Report = Callable[[float], Awaitable[None]]


class ComparisonFailedError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def new_comparison_id() -> str:
    return "cmp_" + uuid.uuid4().hex


class ComparisonJobs:
    def __init__(
        self,
        db: Database,
        store_: ObjectStore,
        analyser: Analyser,
        *,
        sample_fps: float,
        max_people: int,
        config: ComparisonConfig,
        device: torch.device,
    ) -> None:
        self._db = db
        self._store = store_
        self._analyser = analyser
        self._fps = sample_fps
        self._max_people = max_people
        self._config = config
        self._device = device

    def routes(self) -> tuple[Route[CompareRequested]]:
        return (Route("compare.requested", CompareRequested, self.on_requested),)

    async def on_requested(self, event: Event[CompareRequested]) -> None:
        row = await comparisons.comparison_by_id(
            self._db.pool, tenant_id=event.tenant_id, comparison_id=event.payload.comparison_id
        )
        if row is None or row.status in {"completed", "failed"}:
            return
        try:
            result, fps = await self._compare(row, event)
        except ComparisonFailedError as exc:
            await self._fail(row, event, exc.code, str(exc))
            return
        except AssetNotSeenYetError:
            if event.attempt < MAX_DELIVER:
                raise
            await self._fail(row, event, "asset_not_found", "an asset of the comparison was never ingested")
            return
        except Exception as exc:
            if event.attempt < MAX_DELIVER:
                raise
            await self._fail(row, event, "comparison_failed", f"gave up after {event.attempt} attempts: {exc}")
            return
        key = self._store.key(row.tenant_id, "comparisons", f"{row.id}.json")
        document = json.dumps(result_to_json(result), ensure_ascii=False).encode()
        await self._store.put_stream(key, io.BytesIO(document), content_type="application/json", length=len(document))
        weak = sum(segment.weak for segment in result.segments)
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=JOBS_CONSUMER, event_id=event.event_id):
                return
            if (
                await comparisons.comparison_by_id(conn, tenant_id=row.tenant_id, comparison_id=row.id, lock=True)
                is None
            ):
                return  # an asset was deleted meanwhile
            await comparisons.complete_comparison(
                conn,
                tenant_id=row.tenant_id,
                comparison_id=row.id,
                score=result.score,
                mirrored=result.mirrored,
                weak_segments=weak,
                sample_fps=fps,
                result_key=key,
            )
            completed = CompareCompleted(
                comparison_id=row.id, score=result.score, mirrored=result.mirrored, result_key=key, weak_segments=weak
            )
            await COMPARE_EVENTS.emit(
                conn, "completed", completed, tenant_id=row.tenant_id, job_id=row.job_id, causation_id=event.event_id
            )
        log.info("comparison completed", extra={"comparison_id": row.id, "score": result.score})

    async def _compare(self, row: ComparisonRow, event: Event[CompareRequested]) -> tuple[Result, float]:
        await comparisons.mark_comparison_running(self._db.pool, tenant_id=row.tenant_id, comparison_id=row.id)

        def stage(name: str, start: float, share: float) -> Report:
            async def report(fraction: float) -> None:
                await self._progress(row, event, name, start + share * fraction)

            return report

        reference = await self._track(row.tenant_id, row.reference_asset_id, stage("analysing_reference", 0.0, 0.45))
        attempt = await self._track(row.tenant_id, row.attempt_asset_id, stage("analysing_attempt", 0.45, 0.45))
        await self._progress(row, event, "aligning", 0.9)
        reference = reference.between(row.reference_start_s, row.reference_end_s)
        attempt = attempt.between(row.attempt_start_s, row.attempt_end_s)
        for side, track in (("reference", reference), ("attempt", attempt)):
            if track.frame_count == 0:
                raise ComparisonFailedError("span_empty", f"the {side}'s span holds no frame of its video")
        try:
            result = await asyncio.to_thread(compare, reference, attempt, config=self._config, device=self._device)
        except NoPersonError:
            sides = [side for side, track in (("reference", reference), ("attempt", attempt)) if track.no_person]
            which = " and ".join(sides) or "one of the videos"
            raise ComparisonFailedError("no_person", f"no person was found in the {which}") from None
        return result, reference.fps

    async def _track(self, tenant_id: str, asset_id: str, report: Report) -> PoseTrack:
        """The asset's pose track at the service's settings: an earlier analysis, or a new one."""
        fps, people, model = self._fps, self._max_people, self._analyser.model
        found = await analyses.reusable_analysis(
            self._db.pool, tenant_id=tenant_id, asset_id=asset_id, sample_fps=fps, max_people=people, model=model
        )
        if found is not None:
            return await self._analyser.load(found)
        video = await assets.asset_video(self._db.pool, tenant_id=tenant_id, asset_id=asset_id)
        if video is None:
            raise AssetNotSeenYetError(asset_id)
        if not video.proxy_key:
            raise ComparisonFailedError("no_video", f"asset {asset_id} has no video track to compare")
        analysis_id = new_analysis_id()
        request = Request(tenant_id, asset_id, analysis_id, fps, people)
        try:
            track, result = await self._analyser.run(request, video, report)
        except DecodeError as exc:
            raise ComparisonFailedError("media_unreadable", f"asset {asset_id}'s video does not decode: {exc}") from exc
        async with self._db.transaction() as conn:
            await analyses.create_analysis(
                conn,
                tenant_id=tenant_id,
                analysis_id=analysis_id,
                asset_id=asset_id,
                job_id="",
                sample_fps=fps,
                max_people=people,
                model=model,
            )
            await analyses.complete_analysis(conn, tenant_id=tenant_id, analysis_id=analysis_id, result=result)
        return track

    async def _progress(self, row: ComparisonRow, event: Event[CompareRequested], stage: str, fraction: float) -> None:
        async with self._db.transaction() as conn:
            await COMPARE_EVENTS.progress(
                conn,
                tenant_id=row.tenant_id,
                job_id=row.job_id,
                resource_id=row.id,
                stage=stage,
                fraction=fraction,
                causation_id=event.event_id,
            )

    async def _fail(self, row: ComparisonRow, event: Event[CompareRequested], code: str, message: str) -> None:
        async def record(conn: Connection) -> bool:
            if (
                await comparisons.comparison_by_id(conn, tenant_id=row.tenant_id, comparison_id=row.id, lock=True)
                is None
            ):
                return False
            await comparisons.fail_comparison(
                conn, tenant_id=row.tenant_id, comparison_id=row.id, code=code, message=message
            )
            return True

        failed = await COMPARE_EVENTS.fail_once(
            self._db,
            consumer=JOBS_CONSUMER,
            event_id=event.event_id,
            record=record,
            tenant_id=row.tenant_id,
            job_id=row.job_id,
            resource_id=row.id,
            code=code,
            message=message,
            stage="comparing",
        )
        if failed:
            log.info("comparison failed", extra={"comparison_id": row.id, "code": code})
