"""Processing an accepted asset: fetch (imports), probe, derivatives, done.

Runs as the consumer of ``asset.requested``, so a replica that dies mid-way
leaves the message to another. The outcome, ``asset.ingested`` or
``asset.failed``, is committed with the asset's new state and the inbox
record, exactly once. A failed asset keeps its row (with the reason) and
loses its objects. S3 down for longer than the store retries a request
(``s3_retry_limit_s``) fails the asset at once, with that reason: the limit
is the outage an asset rides out.
"""

from __future__ import annotations

import logging
import time

from reelforge.events.v1.asset_pb2 import AssetIngested, AssetRequested
from reelforge.ingest.v1.ingest_pb2 import Quota
from reelforge_common.bus import Event, Route, Subscription
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.storage import ObjectStore, StorageUnavailableError
from reelforge_common.telemetry import Metrics
from reelforge_ingest import store as assets
from reelforge_ingest.announce import announce, announce_failure, announce_progress
from reelforge_ingest.config import IngestSettings
from reelforge_ingest.derivatives import CONTENT_TYPES, DerivativeSpec, make_derivatives
from reelforge_ingest.fetch import fetch
from reelforge_ingest.intake import Intake
from reelforge_ingest.refusals import RefusedError
from reelforge_ingest.sniff import SNIFF_BYTES, sniff
from reelforge_ingest.spool import Spool
from reelforge_ingest.store import AssetRow

log = logging.getLogger(__name__)
CONSUMER = "ingest-processing"
# Progress is announced at most this often while FFmpeg runs.
_PROGRESS_EVERY_S = 1.0
_MAX_DELIVER = 5


class AssetProcessor:
    def __init__(
        self,
        settings: IngestSettings,
        db: Database,
        store: ObjectStore,
        spool: Spool,
        intake: Intake,
        metrics: Metrics,
    ) -> None:
        self._settings = settings
        self._outcomes = metrics.counter("assets_processed_total", "Assets processed, by outcome.", ["outcome"])
        self._refusals = metrics.counter("assets_refused_total", "Assets refused or failed, by code.", ["code"])
        self._media = metrics.counter("media_ingested_seconds_total", "Seconds of media made ready.")
        self._ffmpeg = metrics.histogram(
            "ffmpeg_derivatives_duration_seconds",
            "FFmpeg time per asset for its derivatives (proxy, filmstrip, audio, thumbnail).",
            buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
        )
        self._db = db
        self._store = store
        self._spool = spool
        self._intake = intake
        self._spec = DerivativeSpec(
            thumbnail_width=settings.thumbnail_width,
            filmstrip_frames=settings.filmstrip_frames,
            filmstrip_frame_width=settings.filmstrip_frame_width,
            proxy_max_side=settings.proxy_max_side,
            proxy_fps=settings.proxy_fps,
            threads=settings.ffmpeg_threads,
        )

    def subscription(self) -> Subscription:
        return Subscription(
            durable=CONSUMER,
            routes=(Route("asset.requested", AssetRequested, self.handle),),
            concurrency=self._settings.processing_concurrency,
            max_ack_pending=self._settings.processing_concurrency * 4,
            ack_wait_s=self._settings.job_ack_wait_s,
            max_deliver=_MAX_DELIVER,
        )

    async def handle(self, event: Event[AssetRequested]) -> None:
        asset = await assets.get_asset(self._db.pool, event.tenant_id, event.payload.asset_id)
        if asset is None or asset.status in {"ready", "failed"}:
            return  # deleted meanwhile, or already done by an earlier delivery
        try:
            derivatives = await self._process(asset, event)
        except RefusedError as refusal:
            await self._fail(asset, event, refusal)
        except StorageUnavailableError as exc:
            await self._fail(asset, event, RefusedError("processing_failed", str(exc)))
        except Exception as exc:
            if event.attempt < _MAX_DELIVER:
                raise  # retried after the subscription's backoff
            reason = f"gave up after {event.attempt} attempts: {exc}"
            await self._fail(asset, event, RefusedError("processing_failed", reason))
        else:
            await self._succeed(asset, event, derivatives)
        finally:
            self._spool.discard(asset.id)

    async def _process(self, asset: AssetRow, event: Event[AssetRequested]) -> dict[str, str]:
        source = self._spool.original(asset.id)
        if asset.source == "import":
            await self._progress(asset, event, "fetching", 0.0)
            await fetch(
                asset.source_url,
                source,
                policy=self._intake.policy,
                max_bytes=asset.quota_max_bytes,
                timeout_s=self._settings.import_timeout_s,
                max_redirects=self._settings.import_max_redirects,
            )
            with source.open("rb") as file:
                sniff(file.read(SNIFF_BYTES))
        elif not source.exists() or source.stat().st_size != asset.size_bytes:
            await self._store.download(asset.original_key, str(source))
        media = await self._intake.validate(source, Quota(max_duration_s=asset.quota_max_duration_s))
        if asset.source == "import":
            await self._store.put_file(asset.original_key, str(source), content_type=asset.content_type or "")
            async with self._db.transaction() as conn:
                await assets.mark_processing(
                    conn, asset.tenant_id, asset.id, size_bytes=source.stat().st_size, media=media
                )
        await self._progress(asset, event, "transcoding", 0.1)
        last = time.monotonic()

        async def on_progress(fraction: float) -> None:
            nonlocal last
            if time.monotonic() - last >= _PROGRESS_EVERY_S:
                last = time.monotonic()
                await self._progress(asset, event, "transcoding", 0.1 + 0.8 * fraction)

        with self._ffmpeg.time():
            made = await make_derivatives(source, media, source.parent, self._spec, on_progress)
        await self._progress(asset, event, "storing", 0.9)
        keys: dict[str, str] = {}
        for name, path in made.items():
            key = self._store.key(asset.tenant_id, asset.id, path.name)
            await self._store.put_file(key, str(path), content_type=CONTENT_TYPES[path.name])
            keys[name] = key
        return keys

    async def _progress(self, asset: AssetRow, event: Event[AssetRequested], stage: str, fraction: float) -> None:
        async with self._db.transaction() as conn:
            await announce_progress(conn, asset, stage, fraction, event.event_id)

    async def _succeed(self, asset: AssetRow, event: Event[AssetRequested], derivatives: dict[str, str]) -> None:
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=CONSUMER, event_id=event.event_id):
                return
            current = await assets.get_asset(conn, asset.tenant_id, asset.id, lock=True)
            if current is None:  # deleted while processing: its objects go too
                await self._store.delete_prefix(self._intake.asset_prefix(asset.tenant_id, asset.id))
                return
            await assets.mark_ready(conn, asset.tenant_id, asset.id, derivatives=derivatives)
            assert current.media is not None
            ingested = AssetIngested(
                asset_id=asset.id,
                media=current.media,
                original_key=current.original_key,
                audio_key=derivatives.get("audio", ""),
                proxy_key=derivatives.get("proxy", ""),
                thumbnail_key=derivatives.get("thumbnail", ""),
                filmstrip_key=derivatives.get("filmstrip", ""),
                filename=current.filename,
                content_type=current.content_type,
            )
            await announce(conn, current, "ingested", ingested, causation_id=event.event_id)
        self._outcomes.labels("ready").inc()
        self._media.inc(current.media.duration_s)
        log.info("asset ingested", extra={"asset_id": asset.id, "tenant_id": asset.tenant_id})

    async def _fail(self, asset: AssetRow, event: Event[AssetRequested], refusal: RefusedError) -> None:
        async with self._db.transaction() as conn:
            failed = await self._record_failure(conn, asset, event, refusal)
        if failed:
            self._outcomes.labels("failed").inc()
            self._refusals.labels(refusal.code).inc()
            log.info("asset failed", extra={"asset_id": asset.id, "code": refusal.code})
        # After the commit (and on every delivery): S3 being why the asset
        # failed must not keep it from failing; what an outage leaves is logged.
        try:
            await self._store.delete_prefix(self._intake.asset_prefix(asset.tenant_id, asset.id))
        except StorageUnavailableError as exc:
            log.warning("objects of a failed asset not deleted: %s", exc, extra={"asset_id": asset.id})

    async def _record_failure(
        self, conn: Connection, asset: AssetRow, event: Event[AssetRequested], refusal: RefusedError
    ) -> bool:
        """Mark the asset failed and announce it; False when an earlier delivery
        did, or the asset was deleted meanwhile."""
        if not await first_delivery(conn, consumer=CONSUMER, event_id=event.event_id):
            return False
        if await assets.get_asset(conn, asset.tenant_id, asset.id, lock=True) is None:
            return False
        await assets.mark_failed(conn, asset.tenant_id, asset.id, code=refusal.code, message=refusal.detail)
        stage = "fetching" if asset.source == "import" and asset.status == "importing" else "processing"
        await announce_failure(
            conn, asset, code=refusal.code, message=refusal.detail, stage=stage, causation_id=event.event_id
        )
        return True
