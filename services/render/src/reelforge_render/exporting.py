"""Exporting a project: the consumer of ``export.requested`` (durable
``render-exports``, ``REELFORGE_RENDER_CONCURRENCY`` at once).

The export's row holds the items and settings it was asked with. The
originals come down into scratch space, one FFmpeg run joins them
(``sequence``) and the video is stored under a key made of the export's id,
so a rerun after a crash overwrites the same object. A cancellation is seen
at the next progress report: FFmpeg is killed and nothing is stored; one that
arrives while the video is being stored removes it again.
``export.completed`` is committed with the row's new state and the inbox
record, exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path

from reelforge.events.v1.render_pb2 import ExportCompleted, ExportRequested
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.ffmpeg_process import FFmpegError, run_ffmpeg
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import Metrics
from reelforge_render import sequence
from reelforge_render.config import RenderSettings
from reelforge_render.export_settings import ExportSettings
from reelforge_render.store import assets, exports
from reelforge_render.store.exports import ExportRow

log = logging.getLogger(__name__)
EXPORT_EVENTS = JobEvents(producer="render", domain="export")
EXPORTS_CONSUMER = "render-exports"
MAX_DELIVER = 5
_PROGRESS_EVERY_S = 1.0
_DOWNLOADED_AT = 0.05
_BUCKETS_S = (1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class CancelledExportError(Exception):
    """The tenant cancelled the export while it ran."""


class ExportFailedError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Exporter:
    def __init__(self, settings: RenderSettings, db: Database, store: ObjectStore, metrics: Metrics) -> None:
        self._settings = settings
        self._db = db
        self._store = store
        self._duration = metrics.histogram(
            "export_duration_seconds", "Time to make an export: downloads, FFmpeg, storing.", buckets=_BUCKETS_S
        )

    def routes(self) -> tuple[Route[ExportRequested]]:
        return (Route("export.requested", ExportRequested, self.on_requested),)

    async def on_requested(self, event: Event[ExportRequested]) -> None:
        row = await exports.get(self._db.pool, tenant_id=event.tenant_id, export_id=event.payload.export_id)
        if row is None or row.finished:
            return
        await exports.mark_running(self._db.pool, tenant_id=row.tenant_id, export_id=row.id)
        try:
            with self._duration.time():
                key, size = await self._make(row)
        except CancelledExportError:
            log.info("export cancelled", extra={"export_id": row.id})
            return
        except ExportFailedError as exc:
            await self._fail(row, event, exc.code, str(exc))
            return
        except Exception as exc:
            if event.attempt < MAX_DELIVER:
                raise
            code = "export_failed" if isinstance(exc, FFmpegError) else "export_error"
            await self._fail(row, event, code, f"gave up after {event.attempt} attempts: {exc}")
            return
        await self._complete(row, event, key, size)

    async def _make(self, row: ExportRow) -> tuple[str, int]:
        """The joined video stored; returns its key and size."""
        settings = ExportSettings.from_json(row.settings)
        with tempfile.TemporaryDirectory(dir=self._settings.work_dir, prefix="export-") as folder:
            pieces = await self._download(row, Path(folder))
            await self._progress(row, "exporting", _DOWNLOADED_AT)
            video = Path(folder) / "export.mp4"
            command = sequence.command(
                pieces,
                settings.transitions,
                settings.output(),
                video,
                threads=self._settings.ffmpeg_threads,
                speed_preset=self._settings.encoder_preset,
            )
            announced = [0.0]

            async def progress(fraction: float) -> None:
                now = asyncio.get_running_loop().time()
                if now - announced[0] < _PROGRESS_EVERY_S:
                    return
                announced[0] = now
                if await exports.status(self._db.pool, tenant_id=row.tenant_id, export_id=row.id) == "cancelled":
                    raise CancelledExportError  # run_ffmpeg kills FFmpeg on the way out
                await self._progress(row, "exporting", _DOWNLOADED_AT + (0.95 - _DOWNLOADED_AT) * fraction)

            await run_ffmpeg(
                command, timeout_s=300 + 20 * row.duration_s, duration_s=row.duration_s, on_progress=progress
            )
            await self._progress(row, "storing", 0.95)
            key = self._store.key(row.tenant_id, "exports", f"{row.id}.mp4")
            size = os.stat(video).st_size
            await self._store.put_file(key, str(video), content_type="video/mp4")
        return key, size

    async def _download(self, row: ExportRow, folder: Path) -> list[sequence.Piece]:
        """Each item's original, once per asset, as the pieces to join."""
        pieces: list[sequence.Piece] = []
        local: dict[str, tuple[Path, bool]] = {}
        for item in row.items:
            asset_id = item["asset_id"]
            if asset_id not in local:
                asset = await assets.asset(self._db.pool, tenant_id=row.tenant_id, asset_id=asset_id)
                if asset is None or asset.status != "ready":
                    raise ExportFailedError("asset_not_ready", f"asset {asset_id} is gone or not ready")
                path = folder / f"{len(local)}.original"
                await self._store.download(asset.original_key, str(path))
                local[asset_id] = (path, bool(asset.audio_key))
            path, has_audio = local[asset_id]
            duration = item["trim_out_s"] - item["trim_in_s"]
            pieces.append(sequence.Piece(path, item["trim_in_s"], duration, has_audio))
        return pieces

    async def _progress(self, row: ExportRow, stage: str, fraction: float) -> None:
        async with self._db.transaction() as conn:
            await EXPORT_EVENTS.progress(
                conn, tenant_id=row.tenant_id, job_id=row.job_id, resource_id=row.id, stage=stage, fraction=fraction
            )

    async def _complete(self, row: ExportRow, event: Event[ExportRequested], key: str, size: int) -> None:
        completed = ExportCompleted(
            export_id=row.id, project_id=row.project_id, video_key=key, duration_s=row.duration_s
        )
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=EXPORTS_CONSUMER, event_id=event.event_id):
                return
            current = await exports.get(conn, tenant_id=row.tenant_id, export_id=row.id, lock=True)
            if current is None or current.finished:
                cancelled = current is not None and current.status == "cancelled"
            else:
                cancelled = False
                await exports.mark_completed(
                    conn, tenant_id=row.tenant_id, export_id=row.id, output_key=key, size_bytes=size
                )
                await EXPORT_EVENTS.emit(
                    conn,
                    "completed",
                    completed,
                    tenant_id=row.tenant_id,
                    job_id=row.job_id,
                    causation_id=event.event_id,
                )
        if cancelled:  # cancelled while it was being stored: nothing stays
            await self._store.delete(key)
            return
        log.info("export completed", extra={"export_id": row.id, "size_bytes": size})

    async def _fail(self, row: ExportRow, event: Event[ExportRequested], code: str, message: str) -> None:
        async def record(conn: Connection) -> bool:
            current = await exports.get(conn, tenant_id=row.tenant_id, export_id=row.id, lock=True)
            if current is None or current.finished:
                return False
            await exports.mark_ended(
                conn, tenant_id=row.tenant_id, export_id=row.id, status="failed", code=code, message=message
            )
            return True

        if await EXPORT_EVENTS.fail_once(
            self._db,
            consumer=EXPORTS_CONSUMER,
            event_id=event.event_id,
            record=record,
            tenant_id=row.tenant_id,
            job_id=row.job_id,
            resource_id=row.id,
            code=code,
            message=message,
            stage="exporting",
        ):
            log.info("export failed", extra={"export_id": row.id, "code": code})
