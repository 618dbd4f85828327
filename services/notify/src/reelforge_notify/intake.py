"""Turning job events into deliveries and emails.

The consumer of every lifecycle event (and of dead-lettered commands, which
fail their job): in one transaction it records the event in the inbox, stores
the message, queues a delivery to each enabled endpoint whose filters match,
and queues the email the tenant asked for. Nothing is sent here; the queue
workers send, so a slow receiver never holds up the stream.
"""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf import any_pb2

from reelforge_common.bus import Event, Route, Subscription
from reelforge_common.db import Database, first_delivery
from reelforge_common.job_events import LIFECYCLE_EVENTS
from reelforge_notify.emailing import Postman
from reelforge_notify.messages import Message, dead_letter_message, job_message
from reelforge_notify.store import deliveries, endpoints

CONSUMER = "notify-intake"
_DEAD_LETTERS = "notify-dead-letters"


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
                routes=tuple(Route(t, any_pb2.Any, self.on_event) for t in LIFECYCLE_EVENTS),
                concurrency=self._concurrency,
                max_ack_pending=self._concurrency * 8,
                # Nothing announced may be lost to a database outage: retry for hours.
                max_deliver=100,
            ),
            Subscription(
                durable=_DEAD_LETTERS,
                routes=(Route("*.requested", any_pb2.Any, self.on_dead_letter),),
                dead_letters=True,
                max_deliver=100,
            ),
        ]

    async def on_event(self, event: Event[any_pb2.Any]) -> None:
        message = job_message(event)
        if message is not None:
            await self.announce(event.tenant_id, message, consumer=CONSUMER, event_id=event.event_id)

    async def on_dead_letter(self, event: Event[any_pb2.Any]) -> None:
        if event.headers.get("Rf-Dlq-Consumer", "").startswith("notify-"):
            return  # our own failure to read it says nothing about the job
        message = dead_letter_message(event, event.headers.get("Rf-Dlq-Reason", "dead-lettered"))
        if message is not None:
            await self.announce(event.tenant_id, message, consumer=_DEAD_LETTERS, event_id=event.event_id)

    async def announce(self, tenant_id: str, message: Message, *, consumer: str, event_id: str) -> int:
        """Queue ``message`` to every endpoint that wants it; returns how many."""
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=consumer, event_id=event_id):
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
