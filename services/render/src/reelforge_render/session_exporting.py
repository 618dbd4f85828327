"""Making a practice session's video: the consumer of
``sessionexport.requested`` (on ``render-exports``, see ``media_jobs``).

- ``solo``: the recordings one after another (``sequence``, cuts), each
  fitted to the first recording's shape.
- ``comparison``: each recording beside (or interleaved with) its span of the
  reference, aligned, skeletons and text drawn, as a comparison video; the
  parts then joined by a stream copy.

The video is stored under a key made of the export's id.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from reelforge.events.v1.render_pb2 import SessionExportCompleted, SessionExportRequested
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_common.ffmpeg_process import run_ffmpeg
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_render import sequence, side_by_side
from reelforge_render.comparison_rendering import CONTENT_TYPES, ComparisonVideos
from reelforge_render.config import RenderSettings
from reelforge_render.media_jobs import JobFailedError, MediaJob
from reelforge_render.store import assets, sessions
from reelforge_render.store.sessions import SessionExportRow

log = logging.getLogger(__name__)
SESSION_EXPORT_EVENTS = JobEvents(producer="render", domain="sessionexport")
KINDS = ("solo", "comparison")


class SessionExporter(MediaJob[SessionExportRow, tuple[str, float]]):
    events = SESSION_EXPORT_EVENTS
    stage = "rendering"
    gave_up_code = "session_export_failed"

    def __init__(
        self, settings: RenderSettings, db: Database, store: ObjectStore, comparisons: ComparisonVideos
    ) -> None:
        super().__init__(db)
        self._settings = settings
        self._store = store
        self._comparisons = comparisons

    def routes(self) -> tuple[Route[SessionExportRequested]]:
        return (Route("sessionexport.requested", SessionExportRequested, self.on_requested),)

    async def on_requested(self, event: Event[SessionExportRequested]) -> None:
        await self.handle(event, event.payload.export_id)

    async def load(self, conn: Db, tenant_id: str, row_id: str, *, lock: bool = False) -> SessionExportRow | None:
        return await sessions.get_export(conn, tenant_id=tenant_id, export_id=row_id, lock=lock)

    async def mark_running(self, row: SessionExportRow) -> None:
        await sessions.mark_export(self._db.pool, tenant_id=row.tenant_id, export_id=row.id, status="running")

    async def make(self, row: SessionExportRow) -> tuple[str, float]:
        with tempfile.TemporaryDirectory(dir=self._settings.work_dir, prefix="session-") as folder:
            output = Path(folder) / f"session.{row.format}"
            if row.kind == "solo":
                duration = await self._solo(row, Path(folder), output)
            else:
                duration = await self._comparison(row, Path(folder), output)
            key = self._store.key(row.tenant_id, "sessions", f"{row.id}.{row.format}")
            await self._store.put_file(key, str(output), content_type=CONTENT_TYPES[row.format])
        return key, duration

    async def _solo(self, row: SessionExportRow, folder: Path, output: Path) -> float:
        pieces, shape = [], None
        for index, recording in enumerate(
            await sessions.recordings(self._db.pool, tenant_id=row.tenant_id, session_id=row.session_id)
        ):
            asset = await assets.asset(self._db.pool, tenant_id=row.tenant_id, asset_id=recording.asset_id)
            if asset is None or asset.status != "ready":
                raise JobFailedError("asset_not_ready", f"asset {recording.asset_id} is gone")
            path = folder / f"{index}.original"
            await self._store.download(asset.original_key, str(path))
            pieces.append(sequence.Piece(path, 0.0, recording.duration_s, bool(asset.audio_key)))
            shape = shape or (asset.width, asset.height)
        assert shape is not None
        height = side_by_side.RESOLUTIONS[row.resolution]
        width = max(2, round(height * shape[0] / max(shape[1], 1) / 2) * 2)
        webm = row.format == "webm"
        out = sequence.Output(
            width, height, side_by_side.FPS, codec="vp9" if webm else "h264", audio_codec="opus" if webm else "aac",
            container=row.format,
        )  # fmt: skip
        command = sequence.command(
            pieces,
            [sequence.Transition()] * (len(pieces) - 1),
            out,
            output,
            threads=self._settings.ffmpeg_threads,
            speed_preset=self._settings.encoder_preset,
        )
        duration = sum(piece.duration_s for piece in pieces)
        progress = self.reporter(row, 0.0, 0.95)
        await run_ffmpeg(command, timeout_s=300 + 20 * duration, duration_s=duration, on_progress=progress)
        return duration

    async def _comparison(self, row: SessionExportRow, folder: Path, output: Path) -> float:
        made = await sessions.recordings(self._db.pool, tenant_id=row.tenant_id, session_id=row.session_id)
        parts: list[Path] = []
        originals: dict[str, Path] = {}
        duration = 0.0
        for index, recording in enumerate(made):
            part = folder / f"part-{index}.{row.format}"
            duration += await self._comparisons.render(
                row.tenant_id,
                recording.comparison_id,
                resolution=row.resolution,
                container=row.format,
                layout=row.layout,
                folder=folder,
                output=part,
                originals=originals,
            )
            parts.append(part)
            await self.announce(row, 0.9 * (index + 1) / len(made))
        listing = folder / "parts.txt"
        listing.write_text("".join(f"file '{part.name}'\n" for part in parts), encoding="utf-8")
        # Our own parts, all encoded alike: the concat demuxer joins them without re-encoding.
        joined = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
        joined += ["-c", "copy", *(["-movflags", "+faststart"] if row.format == "mp4" else []), str(output)]
        await run_ffmpeg(joined, timeout_s=120)
        return duration

    async def record_completion(
        self, conn: Connection, row: SessionExportRow, made: tuple[str, float]
    ) -> SessionExportCompleted:
        key, duration = made
        await sessions.mark_export(
            conn, tenant_id=row.tenant_id, export_id=row.id, status="completed", output_key=key, duration_s=duration
        )
        log.info("session export completed", extra={"export_id": row.id, "kind": row.kind})
        return SessionExportCompleted(export_id=row.id, session_id=row.session_id, video_key=key, duration_s=duration)

    async def record_failure(self, conn: Connection, row: SessionExportRow, code: str, message: str) -> None:
        await sessions.mark_export(
            conn, tenant_id=row.tenant_id, export_id=row.id, status="failed", code=code, message=message
        )
