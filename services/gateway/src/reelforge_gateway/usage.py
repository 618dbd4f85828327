"""Metering: media minutes a tenant has had processed, for the monthly quota.

Each ingested asset counts its duration once, in the calendar month (UTC) it
was ingested; a redelivered event is recognised by its id and not counted
again.
"""

from __future__ import annotations

import asyncpg

from reelforge.events.v1.asset_pb2 import AssetIngested
from reelforge_common.bus import Event, Route, Subscription
from reelforge_gateway.store.quotas import add_usage


class UsageMeter:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(
                durable="gateway-usage",
                routes=(Route("asset.ingested", AssetIngested, self.on_ingested),),
                # Usage must not be lost to a database outage either.
                max_deliver=100,
            )
        ]

    async def on_ingested(self, event: Event[AssetIngested]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await add_usage(
                conn,
                event_id=event.event_id,
                tenant_id=event.tenant_id,
                at=event.occurred_at,
                seconds=event.payload.media.duration_s,
            )
