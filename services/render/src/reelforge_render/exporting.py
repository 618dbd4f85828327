"""Exporting a project: the consumer of ``export.requested`` (on
``render-exports``, see ``media_jobs``).

The export's row holds the items and settings it was asked with. The
originals come down into scratch space, one FFmpeg run joins them
(``sequence``) and the video is stored under a key made of the export's id,
so a rerun after a crash overwrites the same object. A cancellation is seen
at the next progress report: FFmpeg is killed and nothing is stored; one that
arrives while the video is being stored removes it again.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from reelforge.events.v1.render_pb2 import ExportCompleted, ExportRequested
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_common.ffmpeg_process import run_ffmpeg
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import Metrics
from reelforge_render import sequence
from reelforge_render.config import RenderSettings
from reelforge_render.export_settings import ExportSettings
from reelforge_render.media_jobs import JobCancelledError, JobFailedError, MediaJob, throttled
from reelforge_render.store import assets, exports
from reelforge_render.store.exports import ExportRow

log = logging.getLogger(__name__)
EXPORT_EVENTS = JobEvents(producer="render", domain="export")
_DOWNLOADED_AT = 0.05
_BUCKETS_S = (1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class Exporter(MediaJob[ExportRow, tuple[str, int]]):
    events = EXPORT_EVENTS
    stage = "exporting"
    gave_up_code = "export_error"

    def __init__(self, settings: RenderSettings, db: Database, store: ObjectStore, metrics: Metrics) -> None:
        super().__init__(db)
        self._settings = settings
        self._store = store
        self._duration = metrics.histogram(
            "export_duration_seconds", "Time to make an export: downloads, FFmpeg, storing.", buckets=_BUCKETS_S
        )

    def routes(self) -> tuple[Route[ExportRequested]]:
        return (Route("export.requested", ExportRequested, self.on_requested),)

    async def on_requested(self, event: Event[ExportRequested]) -> None:
        await self.handle(event, event.payload.export_id)

    async def load(self, conn: Db, tenant_id: str, row_id: str, *, lock: bool = False) -> ExportRow | None:
        return await exports.get(conn, tenant_id=tenant_id, export_id=row_id, lock=lock)

    async def mark_running(self, row: ExportRow) -> None:
        await exports.mark_running(self._db.pool, tenant_id=row.tenant_id, export_id=row.id)

    async def make(self, row: ExportRow) -> tuple[str, int]:
        """The joined video stored; returns its key and size."""
        settings = ExportSettings.from_json(row.settings)
        with (
            self._duration.time(),
            tempfile.TemporaryDirectory(dir=self._settings.work_dir, prefix="export-") as folder,
        ):
            pieces = await self._download(row, Path(folder))
            await self.announce(row, _DOWNLOADED_AT)
            video = Path(folder) / "export.mp4"
            command = sequence.command(
                pieces,
                settings.transitions,
                settings.output(),
                video,
                threads=self._settings.ffmpeg_threads,
                speed_preset=self._settings.encoder_preset,
            )

            async def report(fraction: float) -> None:
                if await exports.status(self._db.pool, tenant_id=row.tenant_id, export_id=row.id) == "cancelled":
                    log.info("export cancelled", extra={"export_id": row.id})
                    raise JobCancelledError  # run_ffmpeg kills FFmpeg on the way out
                await self.announce(row, _DOWNLOADED_AT + (0.95 - _DOWNLOADED_AT) * fraction)

            await run_ffmpeg(
                command, timeout_s=300 + 20 * row.duration_s, duration_s=row.duration_s, on_progress=throttled(report)
            )
            await self.announce(row, 0.95)
            key = self._store.key(row.tenant_id, "exports", f"{row.id}.mp4")
            size = os.stat(video).st_size
            await self._store.put_file(key, str(video), content_type="video/mp4")
        return key, size

    async def _download(self, row: ExportRow, folder: Path) -> list[sequence.Piece]:
        """Each item's original, once per asset, as the pieces to join."""
        pieces: list[sequence.Piece] = []
        local: dict[str, tuple[Path, bool]] = {}
        for item in row.items:
            asset_id, clip_key = item["asset_id"], item.get("video_key", "")
            if (clip_key or asset_id) not in local:
                asset = await assets.asset(self._db.pool, tenant_id=row.tenant_id, asset_id=asset_id)
                if asset is None or asset.status != "ready":
                    raise JobFailedError("asset_not_ready", f"asset {asset_id} is gone or not ready")
                path = folder / f"{len(local)}.original"
                # A rendered clip is render's own file; it has sound when its asset has.
                await self._store.download(clip_key or asset.original_key, str(path))
                local[clip_key or asset_id] = (path, bool(asset.audio_key))
            path, has_audio = local[clip_key or asset_id]
            duration = item["trim_out_s"] - item["trim_in_s"]
            pieces.append(sequence.Piece(path, item["trim_in_s"], duration, has_audio))
        return pieces

    async def record_completion(self, conn: Connection, row: ExportRow, made: tuple[str, int]) -> ExportCompleted:
        key, size = made
        await exports.mark_completed(conn, tenant_id=row.tenant_id, export_id=row.id, output_key=key, size_bytes=size)
        return ExportCompleted(export_id=row.id, project_id=row.project_id, video_key=key, duration_s=row.duration_s)

    async def record_failure(self, conn: Connection, row: ExportRow, code: str, message: str) -> None:
        await exports.mark_ended(
            conn, tenant_id=row.tenant_id, export_id=row.id, status="failed", code=code, message=message
        )

    async def complete(self, row: ExportRow, event: Event[ExportRequested], made: tuple[str, int]) -> bool:
        if await super().complete(row, event, made):
            log.info("export completed", extra={"export_id": row.id, "size_bytes": made[1]})
            return True
        current = await exports.get(self._db.pool, tenant_id=row.tenant_id, export_id=row.id)
        if current is not None and current.status == "cancelled":  # cancelled while it was stored: nothing stays
            await self._store.delete(made[0])
        return False
