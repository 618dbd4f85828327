"""Making a mix: the consumer of ``mix.requested`` (on the ``render-exports``
durable, beside the exports).

Each variant is a sequence (``sequence``) of whole assets, one from every
group, made in its own FFmpeg run with its tags written into the file and
stored under a key made of the mix's id and the variant's number; it is
checked off in the same transaction as its progress event, so a replica that
takes over makes only the variants left. ``mix.completed`` is committed with
the row's new state and the inbox record, exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any

from reelforge.events.v1.render_pb2 import MixCompleted, MixRequested
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.ffmpeg_process import FFmpegError, run_ffmpeg
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_render import sequence
from reelforge_render.config import RenderSettings
from reelforge_render.export_settings import ExportSettings
from reelforge_render.exporting import EXPORTS_CONSUMER, MAX_DELIVER
from reelforge_render.store import assets, mixes
from reelforge_render.store.mixes import MixRow

log = logging.getLogger(__name__)
MIX_EVENTS = JobEvents(producer="render", domain="mix")
_PROGRESS_EVERY_S = 1.0


class MixFailedError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def variant_key(store: ObjectStore, row: MixRow, index: int) -> str:
    return store.key(row.tenant_id, "mixes", row.id, f"{index + 1:02d}.mp4")


class Mixer:
    def __init__(self, settings: RenderSettings, db: Database, store: ObjectStore) -> None:
        self._settings = settings
        self._db = db
        self._store = store

    def routes(self) -> tuple[Route[MixRequested]]:
        return (Route("mix.requested", MixRequested, self.on_requested),)

    async def on_requested(self, event: Event[MixRequested]) -> None:
        row = await mixes.get(self._db.pool, tenant_id=event.tenant_id, mix_id=event.payload.mix_id)
        if row is None or row.finished:
            return
        await mixes.mark_running(self._db.pool, tenant_id=row.tenant_id, mix_id=row.id)
        try:
            await self._make_all(row)
        except MixFailedError as exc:
            await self._fail(row, event, exc.code, str(exc))
            return
        except Exception as exc:
            if event.attempt < MAX_DELIVER:
                raise
            code = "render_failed" if isinstance(exc, FFmpegError) else "mix_failed"
            await self._fail(row, event, code, f"gave up after {event.attempt} attempts: {exc}")
            return
        await self._complete(row, event)

    async def _make_all(self, row: MixRow) -> None:
        originals: dict[str, tuple[Path, bool]] = {}
        with tempfile.TemporaryDirectory(dir=self._settings.work_dir, prefix="mix-") as folder:
            for variant in row.variants:
                if variant["output_key"]:
                    continue  # made before a takeover
                pieces = []
                for asset_id, duration in zip(variant["asset_ids"], variant["durations"], strict=True):
                    if asset_id not in originals:
                        originals[asset_id] = await self._download(row, asset_id, Path(folder) / f"{len(originals)}")
                    path, has_audio = originals[asset_id]
                    pieces.append(sequence.Piece(path, 0.0, duration, has_audio))
                await self._make(row, variant, pieces, Path(folder) / f"variant-{variant['index']}.mp4")

    async def _download(self, row: MixRow, asset_id: str, path: Path) -> tuple[Path, bool]:
        asset = await assets.asset(self._db.pool, tenant_id=row.tenant_id, asset_id=asset_id)
        if asset is None or asset.status != "ready":
            raise MixFailedError("asset_not_ready", f"asset {asset_id} is gone or not ready")
        await self._store.download(asset.original_key, str(path))
        return path, bool(asset.audio_key)

    async def _make(self, row: MixRow, variant: dict[str, Any], pieces: list[sequence.Piece], video: Path) -> None:
        settings = ExportSettings.from_json(variant["settings"])
        index, share = variant["index"], 1 / len(row.variants)
        command = sequence.command(
            pieces,
            settings.transitions,
            settings.output(),
            video,
            threads=self._settings.ffmpeg_threads,
            speed_preset=self._settings.encoder_preset,
            metadata=variant["metadata"],
        )
        duration = sequence.length(variant["durations"], settings.transitions)
        announced = [0.0]

        async def progress(fraction: float) -> None:
            now = asyncio.get_running_loop().time()
            if now - announced[0] >= _PROGRESS_EVERY_S:
                announced[0] = now
                await self._progress(row, share * (index + 0.95 * fraction))

        await run_ffmpeg(command, timeout_s=300 + 20 * duration, duration_s=duration, on_progress=progress)
        key = variant_key(self._store, row, index)
        await self._store.put_file(key, str(video), content_type="video/mp4")
        async with self._db.transaction() as conn:
            await mixes.variant_stored(conn, tenant_id=row.tenant_id, mix_id=row.id, index=index, output_key=key)
            await MIX_EVENTS.progress(
                conn, tenant_id=row.tenant_id, job_id=row.job_id, resource_id=row.id, stage="mixing",
                fraction=share * (index + 1),
            )  # fmt: skip

    async def _progress(self, row: MixRow, fraction: float) -> None:
        async with self._db.transaction() as conn:
            await MIX_EVENTS.progress(
                conn, tenant_id=row.tenant_id, job_id=row.job_id, resource_id=row.id, stage="mixing", fraction=fraction
            )

    async def _complete(self, row: MixRow, event: Event[MixRequested]) -> None:
        completed = MixCompleted(
            mix_id=row.id, video_keys=[variant_key(self._store, row, i) for i in range(len(row.variants))]
        )
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=EXPORTS_CONSUMER, event_id=event.event_id):
                return
            current = await mixes.get(conn, tenant_id=row.tenant_id, mix_id=row.id, lock=True)
            if current is None or current.finished:
                return
            await mixes.mark_completed(conn, tenant_id=row.tenant_id, mix_id=row.id)
            await MIX_EVENTS.emit(
                conn, "completed", completed, tenant_id=row.tenant_id, job_id=row.job_id, causation_id=event.event_id
            )
        log.info("mix completed", extra={"mix_id": row.id, "variants": len(row.variants)})

    async def _fail(self, row: MixRow, event: Event[MixRequested], code: str, message: str) -> None:
        async def record(conn: Connection) -> bool:
            current = await mixes.get(conn, tenant_id=row.tenant_id, mix_id=row.id, lock=True)
            if current is None or current.finished:
                return False
            await mixes.mark_failed(conn, tenant_id=row.tenant_id, mix_id=row.id, code=code, message=message)
            return True

        await MIX_EVENTS.fail_once(
            self._db,
            consumer=EXPORTS_CONSUMER,
            event_id=event.event_id,
            record=record,
            tenant_id=row.tenant_id,
            job_id=row.job_id,
            resource_id=row.id,
            code=code,
            message=message,
            stage="mixing",
        )
