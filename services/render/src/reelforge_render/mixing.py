"""Making a mix: the consumer of ``mix.requested`` (on ``render-exports``,
see ``media_jobs``).

Each variant is a sequence (``sequence``) of whole assets, one from every
group, made in its own FFmpeg run with its tags written into the file and
stored under a key made of the mix's id and the variant's number; it is
checked off in the same transaction as its progress event, so a replica that
takes over makes only the variants left.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from reelforge.events.v1.render_pb2 import MixCompleted, MixRequested
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_common.ffmpeg_process import run_ffmpeg
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_render import sequence
from reelforge_render.config import RenderSettings
from reelforge_render.export_settings import ExportSettings
from reelforge_render.media_jobs import JobFailedError, MediaJob
from reelforge_render.store import assets, mixes
from reelforge_render.store.mixes import MixRow

log = logging.getLogger(__name__)
MIX_EVENTS = JobEvents(producer="render", domain="mix")


def variant_key(store: ObjectStore, row: MixRow, index: int) -> str:
    return store.key(row.tenant_id, "mixes", row.id, f"{index + 1:02d}.mp4")


class Mixer(MediaJob[MixRow, None]):
    events = MIX_EVENTS
    stage = "mixing"
    gave_up_code = "mix_failed"

    def __init__(self, settings: RenderSettings, db: Database, store: ObjectStore) -> None:
        super().__init__(db)
        self._settings = settings
        self._store = store

    def routes(self) -> tuple[Route[MixRequested]]:
        return (Route("mix.requested", MixRequested, self.on_requested),)

    async def on_requested(self, event: Event[MixRequested]) -> None:
        await self.handle(event, event.payload.mix_id)

    async def load(self, conn: Db, tenant_id: str, row_id: str, *, lock: bool = False) -> MixRow | None:
        return await mixes.get(conn, tenant_id=tenant_id, mix_id=row_id, lock=lock)

    async def mark_running(self, row: MixRow) -> None:
        await mixes.mark_running(self._db.pool, tenant_id=row.tenant_id, mix_id=row.id)

    async def make(self, row: MixRow) -> None:
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
                await self._variant(row, variant, pieces, Path(folder) / f"variant-{variant['index']}.mp4")

    async def _download(self, row: MixRow, asset_id: str, path: Path) -> tuple[Path, bool]:
        asset = await assets.asset(self._db.pool, tenant_id=row.tenant_id, asset_id=asset_id)
        if asset is None or asset.status != "ready":
            raise JobFailedError("asset_not_ready", f"asset {asset_id} is gone or not ready")
        await self._store.download(asset.original_key, str(path))
        return path, bool(asset.audio_key)

    async def _variant(self, row: MixRow, variant: dict[str, Any], pieces: list[sequence.Piece], video: Path) -> None:
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
        progress = self.reporter(row, share * index, share * 0.95)
        await run_ffmpeg(command, timeout_s=300 + 20 * duration, duration_s=duration, on_progress=progress)
        key = variant_key(self._store, row, index)
        await self._store.put_file(key, str(video), content_type="video/mp4")
        async with self._db.transaction() as conn:
            await mixes.variant_stored(conn, tenant_id=row.tenant_id, mix_id=row.id, index=index, output_key=key)
            await MIX_EVENTS.progress(
                conn, tenant_id=row.tenant_id, job_id=row.job_id, resource_id=row.id, stage=self.stage,
                fraction=share * (index + 1),
            )  # fmt: skip

    async def record_completion(self, conn: Connection, row: MixRow, made: None) -> MixCompleted:
        await mixes.mark_completed(conn, tenant_id=row.tenant_id, mix_id=row.id)
        log.info("mix completed", extra={"mix_id": row.id, "variants": len(row.variants)})
        return MixCompleted(
            mix_id=row.id, video_keys=[variant_key(self._store, row, i) for i in range(len(row.variants))]
        )

    async def record_failure(self, conn: Connection, row: MixRow, code: str, message: str) -> None:
        await mixes.mark_failed(conn, tenant_id=row.tenant_id, mix_id=row.id, code=code, message=message)
