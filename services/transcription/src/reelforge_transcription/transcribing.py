"""Transcribing an asset: the consumer of ``transcription.requested``.

The asset's 16 kHz mono WAV (made by ingest) is downloaded, transcribed by
the engine in a worker thread, stored as a JSON document in S3, and its
segments indexed in Postgres; ``transcription.completed`` is committed with
the transcript's new state and the inbox record, exactly once. Progress is
announced while the engine runs. A replica that dies mid-way leaves the
message to another.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import av

from reelforge.events.v1.asset_pb2 import AssetDeleted, AssetIngested
from reelforge.events.v1.transcription_pb2 import (
    TranscriptionChunkRequested,
    TranscriptionCompleted,
    TranscriptionRequested,
)
from reelforge_common.blocking import run_reporting
from reelforge_common.bus import Event, Route, Subscription
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import Metrics
from reelforge_transcription import store
from reelforge_transcription.chunking import plan_chunks, stitch, wav_layout
from reelforge_transcription.config import TranscriptionSettings
from reelforge_transcription.embeddings import Embedder, to_bytes
from reelforge_transcription.engine import Engine, speech_spans
from reelforge_transcription.store import AssetAudio, TranscriptRow
from reelforge_transcription.transcript import Transcript

log = logging.getLogger(__name__)
PRODUCER = "transcription"
EVENTS = JobEvents(producer=PRODUCER, domain="transcription")
CONSUMER = "transcription-jobs"
_MAX_DELIVER = 5
# Progress is announced at most this often while the engine runs.
_PROGRESS_EVERY_S = 2.0
# Enough of a WAV file to find where its samples start.
_WAV_HEAD_BYTES = 4096
# Audio read at a time when looking for silences in long media (about 4 MB).
_VAD_WINDOW_S = 120.0


class Transcriber:
    def __init__(
        self,
        settings: TranscriptionSettings,
        db: Database,
        store_: ObjectStore,
        engine: Engine,
        embedder: Embedder,
        metrics: Metrics,
    ) -> None:
        self._settings = settings
        self._audio = metrics.counter(
            "audio_transcribed_seconds_total", "Seconds of audio transcribed (chunks included)."
        )
        self._engine_time = metrics.histogram(
            "whisper_duration_seconds",
            "Whisper time per transcription or chunk.",
            buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
        )
        self._db = db
        self._store = store_
        self._engine = engine
        self._embedder = embedder

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(
                durable="transcription-assets",
                routes=(
                    Route("asset.ingested", AssetIngested, self.on_ingested),
                    Route("asset.deleted", AssetDeleted, self.on_deleted),
                ),
            ),
            Subscription(
                durable=CONSUMER,
                routes=(
                    Route("transcription.requested", TranscriptionRequested, self.on_requested),
                    Route("transcription.chunk_requested", TranscriptionChunkRequested, self.on_chunk),
                ),
                concurrency=self._settings.transcribe_concurrency,
                max_ack_pending=self._settings.transcribe_concurrency * 4,
                ack_wait_s=self._settings.job_ack_wait_s,
                max_deliver=_MAX_DELIVER,
            ),
        ]

    async def on_ingested(self, event: Event[AssetIngested]) -> None:
        ingested = event.payload
        audio = AssetAudio(audio_key=ingested.audio_key, duration_s=ingested.media.duration_s)
        await store.remember_asset(self._db.pool, tenant_id=event.tenant_id, asset_id=ingested.asset_id, audio=audio)

    async def on_deleted(self, event: Event[AssetDeleted]) -> None:
        async with self._db.transaction() as conn:
            documents = await store.forget_asset(conn, tenant_id=event.tenant_id, asset_id=event.payload.asset_id)
        for key in documents:
            await self._store.delete(key)

    async def on_requested(self, event: Event[TranscriptionRequested]) -> None:
        row = await store.transcript_for_job(self._db.pool, tenant_id=event.tenant_id, job_id=event.correlation_id)
        if row is None or row.status in {"completed", "failed"}:
            return  # the asset was deleted meanwhile, or an earlier delivery finished it
        audio = await store.asset_audio(self._db.pool, tenant_id=event.tenant_id, asset_id=row.asset_id)
        if audio is None:
            if event.attempt < _MAX_DELIVER:
                raise AssetNotSeenYetError(row.asset_id)  # retried: ingest's event may still be on its way
            await self._fail(row, event, "asset_not_found", f"no ingested asset {row.asset_id}")
            return
        try:
            if audio.audio_key and audio.duration_s > self._settings.chunk_threshold_s:
                await self._fan_out(row, audio, event)
                return
            transcript = await self._transcribe(row, audio, event)
        except av.error.FFmpegError as exc:  # the audio does not decode: retrying will not help
            await self._fail(row, event, "media_unreadable", f"the audio track does not decode: {exc}")
        except Exception as exc:
            if event.attempt < _MAX_DELIVER:
                raise  # retried after the subscription's backoff
            await self._fail(row, event, "transcription_failed", f"gave up after {event.attempt} attempts: {exc}")
        else:
            await self._succeed(row, event, transcript)

    async def _transcribe(
        self, row: TranscriptRow, audio: AssetAudio, event: Event[TranscriptionRequested]
    ) -> Transcript:
        if not audio.audio_key:
            return Transcript(
                language=row.requested_language,
                language_probability=0.0,
                duration_s=audio.duration_s,
                no_audio=True,
                model=self._engine.model_name,
            )
        async with self._db.transaction() as conn:
            await store.mark_running(conn, tenant_id=row.tenant_id, transcript_id=row.id)
            await self._progress(conn, row, event, "downloading", 0.0)
        with tempfile.TemporaryDirectory(dir=self._settings.work_dir) as folder:
            path = Path(folder) / "audio.wav"
            await self._store.download(audio.audio_key, str(path))
            return await self._run_engine(row, event, path)

    async def _run_engine(self, row: TranscriptRow, event: Event[TranscriptionRequested], path: Path) -> Transcript:
        async def report(fraction: float) -> None:
            async with self._db.transaction() as conn:
                await self._progress(conn, row, event, "transcribing", 0.05 + 0.9 * fraction)

        started = time.perf_counter()
        transcript = await run_reporting(
            lambda on_progress: self._engine.transcribe(
                path,
                language=row.requested_language or None,
                prompt=row.prompt or None,
                hotwords=row.hotwords or None,
                word_timestamps=row.word_timestamps,
                on_progress=on_progress,
            ),
            report=report,
            every_s=_PROGRESS_EVERY_S,
        )
        self._engine_time.observe(time.perf_counter() - started)
        self._audio.inc(transcript.duration_s)
        return transcript

    async def _progress(
        self, conn: Connection, row: TranscriptRow, event: Event[Any], stage: str, fraction: float
    ) -> None:
        await EVENTS.progress(
            conn,
            tenant_id=row.tenant_id,
            job_id=row.job_id,
            resource_id=row.asset_id,
            stage=stage,
            fraction=fraction,
            causation_id=event.event_id,
        )

    async def _succeed(self, row: TranscriptRow, event: Event[TranscriptionRequested], transcript: Transcript) -> None:
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=CONSUMER, event_id=event.event_id):
                return
            current = await store.transcript_for_job(conn, tenant_id=row.tenant_id, job_id=row.job_id, lock=True)
            if current is None:  # the asset was deleted while transcribing
                return
            await self._complete(conn, row, transcript, causation_id=event.event_id)

    async def _complete(
        self, conn: Connection, row: TranscriptRow, transcript: Transcript, *, causation_id: str
    ) -> None:
        """Store the document, record the transcript and its segments, announce it (in ``conn``'s transaction)."""
        key = self._store.key(row.tenant_id, row.asset_id, f"{row.id}.json")
        document = json.dumps(transcript.to_json(), ensure_ascii=False).encode()
        await self._store.put_stream(key, io.BytesIO(document), content_type="application/json", length=len(document))
        vectors = await asyncio.to_thread(self._embedder.encode, [segment.text for segment in transcript.segments])
        await store.mark_completed(
            conn,
            tenant_id=row.tenant_id,
            transcript_id=row.id,
            transcript=transcript,
            document_key=key,
            embeddings=[to_bytes(vector) for vector in vectors],
        )
        completed = TranscriptionCompleted(
            asset_id=row.asset_id,
            transcript_id=row.id,
            language=transcript.language,
            language_probability=transcript.language_probability,
            duration_s=transcript.duration_s,
            segment_count=len(transcript.segments),
            word_count=transcript.word_count,
        )
        await EVENTS.emit(
            conn, "completed", completed, tenant_id=row.tenant_id, job_id=row.job_id, causation_id=causation_id
        )
        log.info("transcript completed", extra={"transcript_id": row.id, "words": transcript.word_count})

    # Long media: fanned out as chunks, checkpointed one by one.

    async def _fan_out(self, row: TranscriptRow, audio: AssetAudio, event: Event[TranscriptionRequested]) -> None:
        """Cut the audio at silences and queue each chunk as a work item."""
        speech = await self._speech(audio)
        spans = plan_chunks(
            speech, audio.duration_s, target_s=self._settings.chunk_s, search_s=self._settings.chunk_s / 10
        )
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=CONSUMER, event_id=event.event_id):
                return
            await store.mark_running(conn, tenant_id=row.tenant_id, transcript_id=row.id)
            await store.create_chunks(conn, tenant_id=row.tenant_id, transcript_id=row.id, spans=spans)
            for idx, (start, end) in enumerate(spans):
                chunk = TranscriptionChunkRequested(transcript_id=row.id, index=idx, start_s=start, end_s=end)
                await EVENTS.emit(
                    conn,
                    "chunk_requested",
                    chunk,
                    tenant_id=row.tenant_id,
                    job_id=row.job_id,
                    causation_id=event.event_id,
                )
            await self._progress(conn, row, event, "transcribing", 0.05)
        log.info("transcription fanned out", extra={"transcript_id": row.id, "chunks": len(spans)})

    async def _speech(self, audio: AssetAudio) -> list[tuple[float, float]]:
        """Where the speech is, found window by window from byte ranges of the
        WAV in S3: memory stays the same however long the media is."""
        layout = wav_layout(await self._store.read_head(audio.audio_key, _WAV_HEAD_BYTES))
        speech: list[tuple[float, float]] = []
        start = 0.0
        while start < audio.duration_s:
            end = min(start + _VAD_WINDOW_S, audio.duration_s)
            offset, length = layout.byte_range(start, end)
            samples = layout.samples(await self._store.read_range(audio.audio_key, offset, length))
            found = await asyncio.to_thread(speech_spans, samples)
            speech.extend((start + begin, start + finish) for begin, finish in found)
            start = end
        return speech

    async def on_chunk(self, event: Event[TranscriptionChunkRequested]) -> None:
        chunk = event.payload
        row = await store.transcript_by_id(self._db.pool, tenant_id=event.tenant_id, transcript_id=chunk.transcript_id)
        if row is None or row.status in {"completed", "failed"}:
            return
        audio = await store.asset_audio(self._db.pool, tenant_id=row.tenant_id, asset_id=row.asset_id)
        if audio is None:
            return  # the asset was deleted: its transcripts go with it
        try:
            piece = await self._transcribe_chunk(row, audio, chunk)
        except (av.error.FFmpegError, ValueError) as exc:
            await self._fail(row, event, "media_unreadable", f"the audio track does not decode: {exc}")
            return
        except Exception as exc:
            if event.attempt < _MAX_DELIVER:
                raise
            await self._fail(
                row, event, "transcription_failed", f"chunk {chunk.index} failed {event.attempt} times: {exc}"
            )
            return
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=CONSUMER, event_id=event.event_id):
                return
            current = await store.transcript_by_id(conn, tenant_id=row.tenant_id, transcript_id=row.id, lock=True)
            if current is None or current.status != "running":
                return
            await store.save_chunk(conn, tenant_id=row.tenant_id, transcript_id=row.id, idx=chunk.index, result=piece)
            done, total = await store.chunk_progress(conn, tenant_id=row.tenant_id, transcript_id=row.id)
            if done < total:
                await self._progress(conn, row, event, "transcribing", 0.05 + 0.9 * done / total)
                return
            pieces = await store.chunk_results(conn, tenant_id=row.tenant_id, transcript_id=row.id)
            transcript = stitch(pieces, duration_s=audio.duration_s, model=self._engine.model_name)
            await self._complete(conn, row, transcript, causation_id=event.event_id)

    async def _transcribe_chunk(
        self, row: TranscriptRow, audio: AssetAudio, chunk: TranscriptionChunkRequested
    ) -> Transcript:
        """The chunk's transcript, its times moved to their place in the whole media."""
        layout = wav_layout(await self._store.read_head(audio.audio_key, _WAV_HEAD_BYTES))
        offset, length = layout.byte_range(chunk.start_s, chunk.end_s)
        samples = layout.samples(await self._store.read_range(audio.audio_key, offset, length))
        started = time.perf_counter()
        piece = await asyncio.to_thread(
            self._engine.transcribe,
            samples,
            language=row.requested_language or None,
            prompt=row.prompt or None,
            hotwords=row.hotwords or None,
            word_timestamps=row.word_timestamps,
        )
        self._engine_time.observe(time.perf_counter() - started)
        self._audio.inc(chunk.end_s - chunk.start_s)
        return Transcript(
            language=piece.language,
            language_probability=piece.language_probability,
            duration_s=chunk.end_s - chunk.start_s,
            segments=tuple(segment.shifted(chunk.start_s) for segment in piece.segments),
            model=piece.model,
        )

    async def _fail(self, row: TranscriptRow, event: Event[Any], code: str, message: str) -> None:
        async def record(conn: Connection) -> bool:
            if await store.transcript_for_job(conn, tenant_id=row.tenant_id, job_id=row.job_id, lock=True) is None:
                return False
            await store.mark_failed(conn, tenant_id=row.tenant_id, transcript_id=row.id, code=code, message=message)
            return True

        failed = await EVENTS.fail_once(
            self._db,
            consumer=CONSUMER,
            event_id=event.event_id,
            record=record,
            tenant_id=row.tenant_id,
            job_id=row.job_id,
            resource_id=row.asset_id,
            code=code,
            message=message,
            stage="transcribing",
        )
        if failed:
            log.info("transcript failed", extra={"transcript_id": row.id, "code": code})


class AssetNotSeenYetError(Exception):
    """The transcription was requested before this service heard of the asset."""


def new_transcript_id() -> str:
    return "tr_" + uuid.uuid4().hex
