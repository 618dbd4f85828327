"""What a clip job waits for: its asset, then its transcript and pose track.

The consumer of ``clipjob.requested``, the asset events and the analyses'
events (durable ``render-flow``). A job whose asset is not ingested yet waits;
the asset's row lock makes the job's start and the asset's announcement take
turns, so neither misses the other. Once the asset is ready the job asks the
transcription and pose services for their analyses with its own job id (so
their events carry it), reusing finished ones; when both are done it emits
``clipjob.ready`` for a render worker. A failed asset or analysis fails the
job with its reason.
"""

from __future__ import annotations

import logging
from typing import Any

from reelforge.events.v1.asset_pb2 import AssetDeleted, AssetIngested
from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge.events.v1.pose_pb2 import PoseCompleted
from reelforge.events.v1.render_pb2 import ClipJobReady, ClipJobRequested
from reelforge.events.v1.transcription_pb2 import TranscriptionCompleted
from reelforge_common.bus import Event, Route, Subscription
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_render.clients import Analyses
from reelforge_render.store import assets, clip_jobs
from reelforge_render.store.assets import AssetRow
from reelforge_render.store.clip_jobs import ClipJobRow

log = logging.getLogger(__name__)
CLIPJOB_EVENTS = JobEvents(producer="render", domain="clipjob")
FLOW_CONSUMER = "render-flow"
# Progress of a clip job: analyses take the first half, planning and renders the rest.
ANALYSED_AT = 0.5
# Which analysis an event's domain reports on.
_ANALYSIS_OF = {"transcription": "transcript", "pose": "pose"}


class Prerequisites:
    def __init__(self, db: Database, store_: ObjectStore, analyses: Analyses, *, pose_fps: float) -> None:
        self._db = db
        self._store = store_
        self._analyses = analyses
        self._pose_fps = pose_fps

    def subscription(self) -> Subscription:
        routes: list[Route[Any]] = [
            Route("clipjob.requested", ClipJobRequested, self.on_requested),
            Route("asset.ingested", AssetIngested, self.on_asset_ingested),
            Route("asset.failed", JobFailed, self.on_asset_failed),
            Route("asset.deleted", AssetDeleted, self.on_asset_deleted),
            Route("transcription.completed", TranscriptionCompleted, self.on_done),
            Route("pose.completed", PoseCompleted, self.on_done),
        ]
        for domain in _ANALYSIS_OF:
            routes += [
                Route(f"{domain}.failed", JobFailed, self.on_failed),
                Route(f"{domain}.progress", JobProgress, self.on_progress),
            ]
        return Subscription(durable=FLOW_CONSUMER, routes=tuple(routes))

    # The asset.

    async def on_requested(self, event: Event[ClipJobRequested]) -> None:
        requested = event.payload
        async with self._db.transaction() as conn:
            asset = await assets.claim(conn, tenant_id=event.tenant_id, asset_id=requested.asset_id)
            job = await clip_jobs.by_id(conn, tenant_id=event.tenant_id, clip_job_id=requested.clip_job_id, lock=True)
            if job is None or job.status != "waiting":
                return
            if asset.status == "failed":
                await self._fail(
                    conn, job, asset.error_code or "asset_failed", f"the asset failed: {asset.error_message}"
                )
            elif asset.status == "ready":
                await self._start(conn, job, asset)

    async def on_asset_ingested(self, event: Event[AssetIngested]) -> None:
        ingested = event.payload
        media = ingested.media
        upright = media.rotation_deg % 180 != 0
        async with self._db.transaction() as conn:
            asset = await assets.claim(conn, tenant_id=event.tenant_id, asset_id=ingested.asset_id)
            await assets.mark_ready(
                conn,
                tenant_id=event.tenant_id,
                asset_id=ingested.asset_id,
                original_key=ingested.original_key,
                audio_key=ingested.audio_key,
                duration_s=media.duration_s,
                has_video=media.has_video,
                width=media.height if upright else media.width,
                height=media.width if upright else media.height,
            )
            asset = await assets.claim(conn, tenant_id=event.tenant_id, asset_id=ingested.asset_id)
            for job in await clip_jobs.waiting_for(conn, tenant_id=event.tenant_id, asset_id=asset.asset_id):
                await self._start(conn, job, asset)

    async def on_asset_failed(self, event: Event[JobFailed]) -> None:
        failed = event.payload
        if not failed.resource_id:
            return
        async with self._db.transaction() as conn:
            await assets.claim(conn, tenant_id=event.tenant_id, asset_id=failed.resource_id)
            await assets.mark_failed(
                conn, tenant_id=event.tenant_id, asset_id=failed.resource_id, code=failed.code, message=failed.message
            )
            for job in await clip_jobs.waiting_for(conn, tenant_id=event.tenant_id, asset_id=failed.resource_id):
                await self._fail(conn, job, failed.code or "asset_failed", f"the asset failed: {failed.message}")

    async def on_asset_deleted(self, event: Event[AssetDeleted]) -> None:
        """The asset's clip jobs, and their clips, go with it."""
        async with self._db.transaction() as conn:
            gone = await clip_jobs.forget_asset(conn, tenant_id=event.tenant_id, asset_id=event.payload.asset_id)
            await assets.forget(conn, tenant_id=event.tenant_id, asset_id=event.payload.asset_id)
        for clip_job_id in gone:
            await self._store.delete_prefix(self._store.key(event.tenant_id, clip_job_id) + "/")

    async def _start(self, conn: Connection, job: ClipJobRow, asset: AssetRow) -> None:
        """Ask for the job's analyses, reusing finished ones and joining the
        ones the asset's other clip jobs wait for; ready at once if both exist."""
        if not asset.has_video:
            await self._fail(
                conn, job, "no_video", f"asset {asset.asset_id} has no video track: there is nothing to clip"
            )
            return
        tenant, language = job.tenant_id, job.options.language
        others = await clip_jobs.analysing(conn, tenant_id=tenant, asset_id=asset.asset_id)
        transcript = await self._analyses.finished_transcript(tenant_id=tenant, asset_id=asset.asset_id)
        if transcript is not None and (not language or transcript.get("language") == language):
            transcript_id, transcript_ready = str(transcript["transcript_id"]), True
        else:
            pending = (o.transcript_id for o in others if not o.transcript_ready and o.options.language == language)
            transcript_id = next(pending, "") or await self._analyses.request_transcription(
                tenant_id=tenant, job_id=job.job_id, asset_id=asset.asset_id, language=language
            )
            transcript_ready = False
        pose_id = await self._analyses.finished_pose(tenant_id=tenant, asset_id=asset.asset_id)
        pose_ready = pose_id is not None
        if pose_id is None:
            pose_id = next((o.pose_analysis_id for o in others if not o.pose_ready), "") or (
                await self._analyses.request_pose(
                    tenant_id=tenant, job_id=job.job_id, asset_id=asset.asset_id, fps=self._pose_fps
                )
            )
        await clip_jobs.start_analysing(
            conn,
            tenant_id=tenant,
            clip_job_id=job.id,
            transcript_id=transcript_id,
            transcript_ready=transcript_ready,
            pose_analysis_id=pose_id,
            pose_ready=pose_ready,
        )
        if transcript_ready and pose_ready:
            await self._ready(conn, job)
        else:
            await self._announce(conn, job, "analysing", 0.05)
        log.info("clip job analysing", extra={"clip_job_id": job.id, "reused": [transcript_ready, pose_ready]})

    # The analyses.

    async def _waiting(self, conn: Connection, event: Event[Any]) -> tuple[str, list[ClipJobRow]]:
        """The analysis an event is about, and the clip jobs waiting for it:
        the one that asked for it and those that joined (none: another kind
        of job's, or finished)."""
        analysis = _ANALYSIS_OF[event.event_type.split(".")[0]]
        if not event.correlation_id:
            return analysis, []
        asker = await clip_jobs.by_job(conn, tenant_id=event.tenant_id, job_id=event.correlation_id)
        if asker is None:
            return analysis, []
        analysis_id = asker.transcript_id if analysis == "transcript" else asker.pose_analysis_id
        return analysis, await clip_jobs.sharing(
            conn, tenant_id=event.tenant_id, analysis=analysis, analysis_id=analysis_id
        )

    async def on_done(self, event: Event[Any]) -> None:
        async with self._db.transaction() as conn:
            analysis, jobs = await self._waiting(conn, event)
            if not jobs or not await first_delivery(conn, consumer=FLOW_CONSUMER, event_id=event.event_id):
                return
            for job in jobs:
                await clip_jobs.mark_analysed(conn, tenant_id=job.tenant_id, clip_job_id=job.id, analysis=analysis)
                if job.pose_ready if analysis == "transcript" else job.transcript_ready:
                    await self._ready(conn, job)

    async def on_failed(self, event: Event[JobFailed]) -> None:
        failed, domain = event.payload, event.event_type.split(".")[0]
        async with self._db.transaction() as conn:
            _, jobs = await self._waiting(conn, event)
            for job in jobs:
                await self._fail(conn, job, failed.code or f"{domain}_failed", f"{domain} failed: {failed.message}")

    async def on_progress(self, event: Event[JobProgress]) -> None:
        fraction = min(max(event.payload.fraction, 0.0), 1.0)
        async with self._db.transaction() as conn:
            analysis, jobs = await self._waiting(conn, event)
            for job in jobs:
                await clip_jobs.set_progress(
                    conn, tenant_id=job.tenant_id, clip_job_id=job.id, analysis=analysis, fraction=fraction
                )
                done = {"transcript": job.transcript_progress, "pose": job.pose_progress, analysis: fraction}
                if job.transcript_ready:
                    done["transcript"] = 1.0
                if job.pose_ready:
                    done["pose"] = 1.0
                await self._announce(conn, job, "analysing", 0.05 + (ANALYSED_AT - 0.05) * sum(done.values()) / 2)

    # Announcements.

    async def _ready(self, conn: Connection, job: ClipJobRow) -> None:
        ready = ClipJobReady(clip_job_id=job.id)
        await CLIPJOB_EVENTS.emit(conn, "ready", ready, tenant_id=job.tenant_id, job_id=job.job_id)
        await self._announce(conn, job, "planning", ANALYSED_AT)

    async def _announce(self, conn: Connection, job: ClipJobRow, stage: str, fraction: float) -> None:
        await CLIPJOB_EVENTS.progress(
            conn, tenant_id=job.tenant_id, job_id=job.job_id, resource_id=job.id, stage=stage, fraction=fraction
        )

    async def _fail(self, conn: Connection, job: ClipJobRow, code: str, message: str) -> None:
        await clip_jobs.fail(conn, tenant_id=job.tenant_id, clip_job_id=job.id, code=code, message=message)
        await CLIPJOB_EVENTS.failed(
            conn,
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            resource_id=job.id,
            code=code,
            message=message,
            stage=job.status,
        )
        log.info("clip job failed", extra={"clip_job_id": job.id, "code": code})
