"""Which assets exist and where their proxies are, as ingest announces them."""

from __future__ import annotations

import logging

from reelforge.events.v1.asset_pb2 import AssetDeleted, AssetIngested
from reelforge_common.bus import Event, Route, Subscription
from reelforge_common.db import Database
from reelforge_common.storage import ObjectStore
from reelforge_pose.store import assets
from reelforge_pose.store.assets import AssetVideo

log = logging.getLogger(__name__)


class AssetCatalog:
    """Consumer of ``asset.ingested`` and ``asset.deleted`` (durable ``pose-assets``)."""

    def __init__(self, db: Database, store_: ObjectStore) -> None:
        self._db = db
        self._store = store_

    def subscription(self) -> Subscription:
        return Subscription(
            durable="pose-assets",
            routes=(
                Route("asset.ingested", AssetIngested, self.on_ingested),
                Route("asset.deleted", AssetDeleted, self.on_deleted),
            ),
        )

    async def on_ingested(self, event: Event[AssetIngested]) -> None:
        ingested = event.payload
        video = AssetVideo(proxy_key=ingested.proxy_key, duration_s=ingested.media.duration_s)
        await assets.remember_asset(self._db.pool, tenant_id=event.tenant_id, asset_id=ingested.asset_id, video=video)

    async def on_deleted(self, event: Event[AssetDeleted]) -> None:
        """The asset's analyses and the comparisons it is part of go with it."""
        async with self._db.transaction() as conn:
            keys = await assets.forget_asset(conn, tenant_id=event.tenant_id, asset_id=event.payload.asset_id)
        for key in keys:
            await self._store.delete(key)
        log.info("asset forgotten", extra={"asset_id": event.payload.asset_id, "objects": len(keys)})
