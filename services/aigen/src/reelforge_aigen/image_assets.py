"""aigen's copy of the tenants' image assets, kept from ingest's events:
where each image is (its original object) and what it is."""

from __future__ import annotations

from reelforge.events.v1.asset_pb2 import AssetDeleted, AssetIngested
from reelforge_aigen.store import assets, characters
from reelforge_aigen.store.assets import ImageAsset
from reelforge_common.bus import Event, Route, Subscription
from reelforge_common.db import Database

ASSETS_CONSUMER = "aigen-assets"
# The MIME type of each image demuxer ingest probes stills with.
_MIME = {"png_pipe": "image/png", "jpeg_pipe": "image/jpeg", "webp_pipe": "image/webp"}


class ImageAssets:
    def __init__(self, db: Database) -> None:
        self._db = db

    def subscription(self) -> Subscription:
        return Subscription(
            durable=ASSETS_CONSUMER,
            routes=(
                Route("asset.ingested", AssetIngested, self.on_ingested),
                Route("asset.deleted", AssetDeleted, self.on_deleted),
            ),
        )

    async def on_ingested(self, event: Event[AssetIngested]) -> None:
        ingested = event.payload
        if not ingested.media.is_image:
            return
        image = ImageAsset(
            tenant_id=event.tenant_id,
            asset_id=ingested.asset_id,
            original_key=ingested.original_key,
            width=ingested.media.width,
            height=ingested.media.height,
            content_type=_MIME.get(ingested.media.container, "image/png"),
        )
        await assets.remember(self._db.pool, image)

    async def on_deleted(self, event: Event[AssetDeleted]) -> None:
        """The image goes, and characters drawn from it are deactivated."""
        async with self._db.transaction() as conn:
            await assets.forget(conn, event.tenant_id, event.payload.asset_id)
            await characters.deactivate_using(conn, event.tenant_id, event.payload.asset_id)
