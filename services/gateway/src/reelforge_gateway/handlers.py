"""Consumers that keep the jobs read model current."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import any_pb2

from reelforge_common.bus import Event, Route, Subscription
from reelforge_gateway.live import JobFeed
from reelforge_gateway.projection import dead_letter_update, update_for

# Job lifecycle events of every domain. The projection is idempotent (updates
# are ordered by event time), so it needs no inbox.
_JOB_EVENTS = ("*.requested", "*.progress", "*.completed", "*.failed", "asset.ingested")
_OWN_CONSUMERS = "gateway-"


class JobProjection:
    """Applies job events, and dead letters of job events, to the read model."""

    def __init__(self, feed: JobFeed, concurrency: int) -> None:
        self._feed = feed
        self._concurrency = concurrency

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(
                durable="gateway-jobs",
                routes=tuple(Route(t, any_pb2.Any, self.on_job_event) for t in _JOB_EVENTS),
                concurrency=self._concurrency,
                # The read model must not lose an update to a database outage:
                # keep retrying (every 2 minutes after the first few) for hours.
                max_deliver=100,
            ),
            Subscription(
                durable="gateway-dead-letters",
                # A job fails when its command could not be carried out. Dead
                # letters of progress or completion events (a projection or a
                # webhook that failed) say nothing about the job itself.
                routes=(Route("*.requested", any_pb2.Any, self.on_dead_letter),),
                dead_letters=True,
                max_deliver=100,
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
            await self._feed.apply(update)

    async def on_dead_letter(self, event: Event[any_pb2.Any]) -> None:
        if event.headers.get("Rf-Dlq-Consumer", "").startswith(_OWN_CONSUMERS):
            return
        update = dead_letter_update(
            event_type=event.event_type,
            tenant_id=event.tenant_id,
            job_id=event.correlation_id,
            at=datetime.now(UTC),
            reason=event.headers.get("Rf-Dlq-Reason", "dead-lettered"),
        )
        if update is not None:
            await self._feed.apply(update)
