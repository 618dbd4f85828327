"""Planning and rendering a clip job: the consumer of ``clipjob.ready``
(durable ``render-work``, ``REELFORGE_RENDER_CONCURRENCY`` at once).

The plan (which moments, why, titles) is made once and kept with the job;
each clip is rendered in scratch space, its files written under keys made of
the job's id and the clip's index, and checked off in the same transaction as
its progress event. A worker that dies mid-job leaves the message to another
replica, which plans nothing again and renders only what is left; a rerun
overwrites the same objects, so nothing half-written or doubled remains.
``clipjob.completed`` is committed with the job's new state and the inbox
record, exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from reelforge.events.v1.render_pb2 import ClipJobCompleted, ClipJobReady, RenderedClip
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.ffmpeg_process import FFmpegError
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import Metrics
from reelforge_render import clip_render
from reelforge_render.audio_energy import HOP_S, energy_db
from reelforge_render.captions import ass_document, clip_words, srt_document
from reelforge_render.clients import Analyses, PoseSignals
from reelforge_render.config import RenderSettings
from reelforge_render.highlights import MediaSignals, Scorer, choose
from reelforge_render.prerequisites import ANALYSED_AT, CLIPJOB_EVENTS
from reelforge_render.ranking import LlmRanker, shortlist_size
from reelforge_render.reframe import plan_framing
from reelforge_render.sentences import Word, sentences_of, words_of
from reelforge_render.store import assets, clip_jobs
from reelforge_render.store.assets import AssetRow
from reelforge_render.store.clip_jobs import ClipJobRow, ClipRow, RenderedFiles

log = logging.getLogger(__name__)
WORK_CONSUMER = "render-work"
MAX_DELIVER = 5
_PROGRESS_EVERY_S = 2.0
_STAGE_BUCKETS_S = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
_CONTENT_TYPES = {"mp4": "video/mp4", "jpg": "image/jpeg", "srt": "application/x-subrip", "json": "application/json"}


def _content_type(key: str) -> str:
    return _CONTENT_TYPES[key.rsplit(".", 1)[1]]


class ClipJobFailedError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Producer:
    def __init__(
        self,
        settings: RenderSettings,
        db: Database,
        store_: ObjectStore,
        analyses: Analyses,
        metrics: Metrics,
        ranker: LlmRanker | None = None,
    ) -> None:
        self._settings = settings
        self._ranker = ranker
        self._db = db
        self._store = store_
        self._analyses = analyses
        self._stage_duration = metrics.histogram(
            "clipjob_stage_duration_seconds",
            "Time a clip job spends planning, and rendering all its clips.",
            ["stage"],
            buckets=_STAGE_BUCKETS_S,
        )
        self._clips = metrics.counter("clips_rendered_total", "Clips rendered and stored.")
        self._media = metrics.counter("rendered_media_seconds_total", "Seconds of clip rendered.")
        self._ffmpeg = metrics.histogram(
            "ffmpeg_render_duration_seconds",
            "FFmpeg time per clip (cut, reframe, captions, loudness, encode, thumbnail).",
            buckets=_STAGE_BUCKETS_S,
        )

    def routes(self) -> tuple[Route[ClipJobReady]]:
        return (Route("clipjob.ready", ClipJobReady, self.on_ready),)

    async def on_ready(self, event: Event[ClipJobReady]) -> None:
        job = await clip_jobs.by_id(self._db.pool, tenant_id=event.tenant_id, clip_job_id=event.payload.clip_job_id)
        if job is None or job.finished:
            return
        asset = await assets.asset(self._db.pool, tenant_id=job.tenant_id, asset_id=job.asset_id)
        if asset is None:
            return  # deleted meanwhile: the job went with it
        await clip_jobs.mark_rendering(self._db.pool, tenant_id=job.tenant_id, clip_job_id=job.id)
        try:
            with tempfile.TemporaryDirectory(dir=self._settings.work_dir) as folder:
                source = Path(folder) / "original"
                # The original comes down while the plan is made: the two do not wait on each other.
                download = asyncio.create_task(self._store.download(asset.original_key, str(source)))
                try:
                    with self._stage_duration.labels("planning").time():
                        words, plan, pose = await self._plan(job, asset)
                    with self._stage_duration.labels("rendering").time():
                        await download
                        rendered = await self._render_all(job, asset, words, plan, pose, source)
                finally:
                    download.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await download
        except ClipJobFailedError as exc:
            await self._fail(job, event, exc.code, str(exc))
            return
        except Exception as exc:
            if event.attempt < MAX_DELIVER:
                raise
            code = "render_failed" if isinstance(exc, FFmpegError) else "clip_job_failed"
            await self._fail(job, event, code, f"gave up after {event.attempt} attempts: {exc}")
            return
        await self._complete(job, event, rendered)

    # Planning.

    async def _plan(self, job: ClipJobRow, asset: AssetRow) -> tuple[list[Word], list[ClipRow], PoseSignals | None]:
        """The words of the media, the job's plan (made now unless an earlier
        delivery made it) and, when made now, the pose signals it used."""
        document = await self._analyses.finished_transcript(
            tenant_id=job.tenant_id, asset_id=job.asset_id, transcript_id=job.transcript_id
        )
        if document is None:
            raise ClipJobFailedError("transcript_failed", "the asset's transcript is gone")
        words = words_of(document)
        existing = await clip_jobs.plan(self._db.pool, tenant_id=job.tenant_id, clip_job_id=job.id)
        if existing:
            return words, existing, None
        sentences = sentences_of(words)
        if not sentences:
            raise ClipJobFailedError("no_speech", "nothing is said in the media: there are no moments to cut")
        texts = [sentence.text for sentence in sentences]
        prompt = job.options.prompt.strip()
        vectors = await self._analyses.embed([*texts, prompt] if prompt else texts)
        pose = await self._analyses.pose_signals(tenant_id=job.tenant_id, asset_id=job.asset_id)
        energy = await self._energy(asset)
        signals = MediaSignals(energy, HOP_S, pose.motion)
        scorer = Scorer(sentences, vectors[: len(texts)], signals, vectors[-1] if prompt else None)
        options = job.options
        chosen = choose(
            scorer,
            count=options.count if self._ranker is None else shortlist_size(options.count),
            min_s=options.min_duration_s,
            max_s=options.max_duration_s,
            duration_s=asset.duration_s,
        )
        if self._ranker is not None:
            chosen = await self._ranker.rank(
                chosen, count=options.count, focus=prompt, tenant_id=job.tenant_id, job_id=job.job_id
            )
        plan = [
            ClipRow(
                idx=index,
                start_s=highlight.start_s,
                end_s=highlight.end_s,
                score=highlight.score,
                reasons=[reason.__dict__ for reason in highlight.reasons],
                title=highlight.title,
                excerpt=highlight.excerpt,
                hashtags=list(highlight.hashtags),
                framing="",
                width=0,
                height=0,
                video_key="",
                thumbnail_key="",
                subtitles_key="",
                rendered=False,
            )
            for index, highlight in enumerate(chosen)
        ]
        async with self._db.transaction() as conn:
            if await clip_jobs.plan(conn, tenant_id=job.tenant_id, clip_job_id=job.id):
                return words, await clip_jobs.plan(conn, tenant_id=job.tenant_id, clip_job_id=job.id), pose
            await clip_jobs.save_plan(conn, tenant_id=job.tenant_id, clip_job_id=job.id, clips=plan)
        log.info("clip job planned", extra={"clip_job_id": job.id, "clips": len(plan)})
        return words, plan, pose

    async def _energy(self, asset: AssetRow) -> np.ndarray:
        if not asset.audio_key:
            return np.zeros(0)
        return await asyncio.to_thread(energy_db, await self._store.read(asset.audio_key))

    # Rendering.

    async def _render_all(
        self,
        job: ClipJobRow,
        asset: AssetRow,
        words: list[Word],
        plan: list[ClipRow],
        pose: PoseSignals | None,
        source: Path,
    ) -> list[ClipRow]:
        todo = [clip for clip in plan if not clip.rendered]
        if todo:
            if pose is None:
                pose = await self._analyses.pose_signals(tenant_id=job.tenant_id, asset_id=job.asset_id)
            for clip in todo:
                await self._render_one(job, asset, words, pose, clip, source.parent, source, len(plan))
        return await clip_jobs.plan(self._db.pool, tenant_id=job.tenant_id, clip_job_id=job.id)

    async def _render_one(
        self,
        job: ClipJobRow,
        asset: AssetRow,
        words: list[Word],
        pose: PoseSignals,
        clip: ClipRow,
        scratch: Path,
        source: Path,
        clips: int,
    ) -> None:
        options, settings = job.options, self._settings
        width, height = options.export.size(options.aspect)
        framing = plan_framing(
            pose.subject,
            width=asset.width,
            height=asset.height,
            aspect=options.aspect,
            start_s=clip.start_s,
            end_s=clip.end_s,
            fps=options.export.fps,
        )
        spoken = clip_words(words, clip.start_s, clip.end_s)
        captions = None
        if options.caption_style:
            captions = scratch / f"{clip.idx}.ass"
            document = ass_document(
                spoken, width=width, height=height, style=options.caption_style, position=options.caption_position
            )
            captions.write_text(document, encoding="utf-8")
        clock = asyncio.get_running_loop().time
        started = clock()
        spec = clip_render.ClipSpec(
            source=source,
            start_s=clip.start_s,
            end_s=clip.end_s,
            width=width,
            height=height,
            framing=framing,
            commands=framing.write_commands(scratch / f"{clip.idx}.cmd") if framing.kind == "subject" else None,
            captions=captions,
            has_audio=bool(asset.audio_key),
            loudness_lufs=settings.loudness_lufs,
            export=options.export,
        )
        video, still = scratch / f"{clip.idx}.mp4", scratch / f"{clip.idx}.jpg"
        share = (1 - ANALYSED_AT) / clips
        base = ANALYSED_AT + share * clip.idx
        announced = [0.0]

        async def progress(fraction: float) -> None:
            loop_time = asyncio.get_running_loop().time()
            if loop_time - announced[0] >= _PROGRESS_EVERY_S:
                announced[0] = loop_time
                async with self._db.transaction() as conn:
                    await self._announce(conn, job, "rendering", base + share * 0.95 * fraction)

        await clip_render.render(
            spec,
            video,
            still,
            threads=settings.ffmpeg_threads,
            speed_preset=settings.encoder_preset,
            on_progress=progress,
        )
        rendered_at = clock()
        self._ffmpeg.observe(rendered_at - started)
        subtitles = srt_document(spoken).encode()
        keys = {kind: self._store.key(job.tenant_id, job.id, f"{clip.idx}.{kind}") for kind in ("mp4", "jpg", "srt")}
        await self._put_file(keys["mp4"], video)
        await self._put_file(keys["jpg"], still)
        await self._put_bytes(keys["srt"], subtitles)
        files = RenderedFiles(keys["mp4"], keys["jpg"], keys["srt"], framing.kind, width, height)
        async with self._db.transaction() as conn:
            await clip_jobs.mark_rendered(conn, tenant_id=job.tenant_id, clip_job_id=job.id, idx=clip.idx, files=files)
            await self._announce(conn, job, "rendering", base + share)
        self._clips.inc()
        self._media.inc(clip.end_s - clip.start_s)
        timings = {"render_s": round(rendered_at - started, 3), "store_s": round(clock() - rendered_at, 3)}
        log.info("clip rendered", extra={"clip_job_id": job.id, "clip": clip.idx, "framing": framing.kind, **timings})

    async def _put_file(self, key: str, path: Path) -> None:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            await self._store.put_stream(key, file, content_type=_content_type(key), length=size)

    async def _put_bytes(self, key: str, data: bytes) -> None:
        await self._store.put_stream(key, io.BytesIO(data), content_type=_content_type(key), length=len(data))

    # Ends.

    async def _complete(self, job: ClipJobRow, event: Event[ClipJobReady], clips: list[ClipRow]) -> None:
        manifest_key = self._store.key(job.tenant_id, job.id, "clips.json")
        manifest = json.dumps([clip.__dict__ for clip in clips], ensure_ascii=False).encode()
        await self._put_bytes(manifest_key, manifest)
        completed = ClipJobCompleted(
            clip_job_id=job.id,
            clips=[
                RenderedClip(
                    clip_id=f"{job.id}-{clip.idx}",
                    start_s=clip.start_s,
                    end_s=clip.end_s,
                    score=clip.score,
                    video_key=clip.video_key,
                    thumbnail_key=clip.thumbnail_key,
                    subtitles_key=clip.subtitles_key,
                    title=clip.title,
                )
                for clip in clips
            ],
        )
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=WORK_CONSUMER, event_id=event.event_id):
                return
            current = await clip_jobs.by_id(conn, tenant_id=job.tenant_id, clip_job_id=job.id, lock=True)
            if current is None or current.finished:
                return
            await clip_jobs.complete(conn, tenant_id=job.tenant_id, clip_job_id=job.id, manifest_key=manifest_key)
            await CLIPJOB_EVENTS.emit(
                conn, "completed", completed, tenant_id=job.tenant_id, job_id=job.job_id, causation_id=event.event_id
            )
        log.info("clip job completed", extra={"clip_job_id": job.id, "clips": len(clips)})

    async def _announce(self, conn: Connection, job: ClipJobRow, stage: str, fraction: float) -> None:
        await CLIPJOB_EVENTS.progress(
            conn,
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            resource_id=job.id,
            stage=stage,
            fraction=fraction,
        )

    async def _fail(self, job: ClipJobRow, event: Event[ClipJobReady], code: str, message: str) -> None:
        async def record(conn: Connection) -> bool:
            current = await clip_jobs.by_id(conn, tenant_id=job.tenant_id, clip_job_id=job.id, lock=True)
            if current is None or current.finished:
                return False
            await clip_jobs.fail(conn, tenant_id=job.tenant_id, clip_job_id=job.id, code=code, message=message)
            return True

        if await CLIPJOB_EVENTS.fail_once(
            self._db,
            consumer=WORK_CONSUMER,
            event_id=event.event_id,
            record=record,
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            resource_id=job.id,
            code=code,
            message=message,
            stage="rendering",
        ):
            log.info("clip job failed", extra={"clip_job_id": job.id, "code": code})
