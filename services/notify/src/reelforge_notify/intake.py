"""Turning the jobs' changes into deliveries and emails.

The consumer of ``job.changed`` (every move of a job's public state, which the
gateway announces from its read model: progress, the end, a failure from a
dead-lettered command; not the sub-jobs that share a parent's id): in one
transaction it records the event in the inbox, stores the message, queues a
delivery to each enabled endpoint whose filters match, and queues the email
the tenant asked for. Nothing is sent here; the queue workers send, so a slow
receiver never holds up the stream.
"""

from __future__ import annotations

from collections.abc import Callable

from reelforge.events.v1.jobs_pb2 import JobChanged
from reelforge_common.bus import Event, Route, Subscription
from reelforge_common.db import Database, first_delivery
from reelforge_notify.emailing import Postman
from reelforge_notify.messages import Message, job_message
from reelforge_notify.store import deliveries, endpoints

CONSUMER = "notify-intake"


class Intake:
    def __init__(
        self,
        db: Database,
        postman: Postman,
        *,
        concurrency: int,
        wake_deliveries: Callable[[], None],
        wake_emails: Callable[[], None],
    ) -> None:
        self._db = db
        self._postman = postman
        self._concurrency = concurrency
        self.wake_deliveries = wake_deliveries
        self._wake_emails = wake_emails

    def subscriptions(self) -> list[Subscription]:
        return [
            Subscription(
                durable=CONSUMER,
                routes=(Route("job.changed", JobChanged, self.on_job_changed),),
                concurrency=self._concurrency,
                max_ack_pending=self._concurrency * 8,
                # Nothing announced may be lost to a database outage: retry for hours.
                max_deliver=100,
            )
        ]

    async def on_job_changed(self, event: Event[JobChanged]) -> None:
        await self.announce(event.tenant_id, job_message(event), event_id=event.event_id)

    async def announce(self, tenant_id: str, message: Message, *, event_id: str) -> int:
        """Queue ``message`` to every endpoint that wants it; returns how many."""
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=CONSUMER, event_id=event_id):
                return 0
            targets = await endpoints.matching(
                conn, tenant_id, event_type=message.event_type, job_kind=message.job_kind
            )
            if targets:
                await deliveries.add_message(conn, tenant_id, message)
            for endpoint in targets:
                await deliveries.add(conn, tenant_id, endpoint.id, message)
            emailed = await self._postman.job_ended(conn, tenant_id, message)
        if targets:
            self.wake_deliveries()
        if emailed:
            self._wake_emails()
        return len(targets)
