"""Consumers that keep the jobs read model current."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import any_pb2

from reelforge_common.bus import Event, Route, Subscription
from reelforge_common.db import Database
from reelforge_gateway.projection import dead_letter_update, update_for
from reelforge_gateway.store import apply_update

# Job lifecycle events of every domain. The projection is idempotent (updates
# are ordered by event time), so it needs no inbox.
_JOB_EVENTS = ("*.requested", "*.progress", "*.completed", "*.failed", "asset.ingested")


class JobProjection:
    """Applies job events, and dead letters of job events, to the read model."""

    def __init__(self, db: Database, concurrency: int) -> None:
        self._db = db
        self._concurrency = concurrency

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(
                durable="gateway-jobs",
                routes=tuple(Route(t, any_pb2.Any, self.on_job_event) for t in _JOB_EVENTS),
                concurrency=self._concurrency,
            ),
            Subscription(
                durable="gateway-dead-letters",
                routes=(Route("*.*", any_pb2.Any, self.on_dead_letter),),
                dead_letters=True,
            ),
        ]

    async def on_job_event(self, event: Event[any_pb2.Any]) -> None:
        update = update_for(
            event_type=event.event_type,
            tenant_id=event.tenant_id,
            job_id=event.correlation_id,
            at=event.occurred_at,
            payload=event.payload,
        )
        if update is not None:
            await apply_update(self._db.pool, update)

    async def on_dead_letter(self, event: Event[any_pb2.Any]) -> None:
        update = dead_letter_update(
            event_type=event.event_type,
            tenant_id=event.tenant_id,
            job_id=event.correlation_id,
            at=datetime.now(UTC),
            reason=event.headers.get("Rf-Dlq-Reason", "dead-lettered"),
        )
        if update is not None:
            await apply_update(self._db.pool, update)
