"""A typed consumer runner over durable JetStream pull consumers.

Per message: decode the envelope, route it by event type to a typed handler
inside a span continuing the producer's trace, then

* ack on success;
* nak with the subscription's backoff on any other exception;
* terminate and dead-letter (original subject, headers and the reason) on
  :class:`PermanentError`, or when the handler has run ``max_deliver`` times.

The attempt limit is enforced here rather than by the server (whose consumer
has no delivery limit), so a dead-letter publish that fails is simply retried
on the next delivery instead of leaving the message stranded. Long handlers
keep their message alive with in-progress acks; a pull subscription that stops
answering, or a reconnect, makes the runner re-bind it.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Generic

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace

from reelforge_common.bus.connection import Bus
from reelforge_common.bus.envelope import Event, M, decode_envelope
from reelforge_common.bus.errors import PermanentError
from reelforge_common.bus.subjects import dead_letter_stream, dead_letter_subject, events_stream, filter_subject
from reelforge_common.telemetry import SERVICE_ATTRIBUTE, Metrics, extract_context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route(Generic[M]):
    """Events of ``event_type`` (``*`` may stand for the domain or the event
    name) decode to ``message_type`` and go to ``handler``."""

    event_type: str
    message_type: type[M]
    handler: Callable[[Event[M]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """One durable consumer: what it receives and how it retries."""

    durable: str
    routes: tuple[Route[Any], ...]
    # Consume the dead-letter stream instead of the events stream.
    dead_letters: bool = False
    tenant: str = "*"
    max_deliver: int = 5
    # Delay before redelivery after the n-th failed attempt (the last repeats).
    backoff_s: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
    ack_wait_s: float = 30.0
    concurrency: int = 16
    max_ack_pending: int = 1000

    def delay_after(self, attempt: int) -> float:
        return self.backoff_s[min(attempt, len(self.backoff_s)) - 1]


@dataclass
class _InFlight:
    msg: Msg
    started: float = field(default_factory=time.monotonic)


class ConsumerRunner:
    """Runs one :class:`Subscription` until stopped."""

    def __init__(
        self,
        bus: Bus,
        subscription: Subscription,
        metrics: Metrics,
        *,
        fetch_timeout_s: float = 1.0,
        backlog_poll_s: float = 15.0,
    ) -> None:
        self._bus = bus
        self._sub = subscription
        self._fetch_timeout_s = fetch_timeout_s
        self._backlog_poll_s = backlog_poll_s
        self._stream = (dead_letter_stream if subscription.dead_letters else events_stream)(bus.prefix)
        self._exact = {r.event_type: r for r in subscription.routes if "*" not in r.event_type}
        self._patterns = [r for r in subscription.routes if "*" in r.event_type]
        self._tracer = trace.get_tracer("reelforge.bus")
        self._service = metrics.service
        self._inflight: dict[asyncio.Task[None], _InFlight] = {}
        # Fetch again once half the slots are free: refilling one slot at a
        # time would cost a server round trip per message.
        self._refill_at = max(1, subscription.concurrency // 2)
        self._slots_free = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        handled = metrics.counter("bus_messages_total", "Messages processed by outcome.", ["consumer", "outcome"])
        self._handled = {
            outcome: handled.labels(subscription.durable, outcome)
            for outcome in ("acked", "retried", "dead_lettered", "dead_letter_failed", "dropped")
        }
        self._duration = metrics.histogram(
            "bus_handler_duration_seconds", "Handler time per message.", ["consumer"]
        ).labels(subscription.durable)
        self._rebinds = metrics.counter("bus_rebinds_total", "Pull subscriptions re-created.", ["consumer"]).labels(
            subscription.durable
        )
        self._backlog = {
            field: metrics.gauge(f"bus_consumer_{thing}_messages", doc, ["consumer"]).labels(subscription.durable)
            for field, thing, doc in (
                ("num_pending", "pending", "Messages in the stream not yet delivered to the consumer (its lag)."),
                ("num_ack_pending", "ack_pending", "Messages delivered and not yet acknowledged."),
                ("num_redelivered", "redelivered", "Messages delivered more than once and not yet acknowledged."),
            )
        }
        metrics.gauge(
            "bus_consumer_max_ack_pending_messages", "The consumer's limit of unacknowledged messages.", ["consumer"]
        ).labels(subscription.durable).set(subscription.max_ack_pending)

    def filter_subjects(self) -> list[str]:
        subjects = [filter_subject(self._bus.prefix, r.event_type, self._sub.tenant) for r in self._sub.routes]
        return [dead_letter_subject(s) for s in subjects] if self._sub.dead_letters else subjects

    async def ensure_consumer(self) -> None:
        await self._bus.js.add_consumer(
            self._stream,
            ConsumerConfig(
                durable_name=self._sub.durable,
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self._sub.ack_wait_s,
                max_deliver=-1,
                filter_subjects=self.filter_subjects(),
                max_ack_pending=self._sub.max_ack_pending,
            ),
        )

    async def start(self) -> None:
        await self.ensure_consumer()
        self._tasks = [
            asyncio.create_task(self._run()),
            asyncio.create_task(self._heartbeat()),
            asyncio.create_task(self._report_backlog()),
        ]

    @property
    def alive(self) -> bool:
        """Started and neither loop has ended (stopping or crashing ends them)."""
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def stop(self, grace_s: float) -> None:
        """Stop fetching, give in-flight handlers ``grace_s`` to finish; what is
        still running then is cancelled and will be redelivered."""
        self._stopping.set()
        # A loop that already ended (readiness reported it) must not stop the shutdown.
        await asyncio.gather(self._tasks[0], return_exceptions=True)
        if self._inflight:
            _, pending = await asyncio.wait(list(self._inflight), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks[1:], return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            generation = self._bus.generation
            try:
                await self.ensure_consumer()
                psub = await self._bus.js.pull_subscribe_bind(durable=self._sub.durable, stream=self._stream)
            except Exception as exc:
                log.warning("binding consumer %s failed: %s", self._sub.durable, exc)
                await self._pause(1.0)
                continue
            try:
                await self._pull(psub, generation)
            finally:
                with suppress(Exception):
                    await psub.unsubscribe()
            if not self._stopping.is_set():
                self._rebinds.inc()

    async def _pull(self, psub: JetStreamContext.PullSubscription, generation: int) -> None:
        while not self._stopping.is_set() and self._bus.generation == generation:
            free = self._sub.concurrency - len(self._inflight)
            if free < self._refill_at:
                self._slots_free.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._slots_free.wait(), 0.5)
                continue
            # A watchdog: a fetch that outlives its own timeout means the
            # subscription is stuck and must be re-bound. It is told apart from
            # the fetch's own timeout (no messages), which nats-py raises as
            # nats.errors.TimeoutError or as a bare asyncio.TimeoutError.
            fetch = asyncio.ensure_future(psub.fetch(batch=free, timeout=self._fetch_timeout_s))
            done, _ = await asyncio.wait({fetch}, timeout=self._fetch_timeout_s + 5.0)
            if not done:
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
                log.warning("consumer %s fetch stuck, re-binding", self._sub.durable)
                await self._pause(0.5)
                return
            try:
                msgs = fetch.result()
            except TimeoutError:
                continue
            except nats.errors.Error as exc:
                log.warning("consumer %s fetch failed, re-binding: %r", self._sub.durable, exc)
                await self._pause(0.5)
                return
            for msg in msgs:
                task = asyncio.create_task(self._process(msg))
                self._inflight[task] = _InFlight(msg)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # ack/nak/term failed (connection lost): the message is redelivered.
            log.warning("settling a message failed: %r", exc, extra={"consumer": self._sub.durable})
        if self._sub.concurrency - len(self._inflight) >= self._refill_at:
            self._slots_free.set()

    async def _pause(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _heartbeat(self) -> None:
        """Tell the server every in-flight message older than a third of
        ack_wait that it is still being worked on."""
        interval = self._sub.ack_wait_s / 3
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for entry in list(self._inflight.values()):
                if now - entry.started >= interval:
                    with suppress(Exception):
                        await entry.msg.in_progress()

    async def _report_backlog(self) -> None:
        """Publish the server's view of this consumer (lag, unacknowledged
        messages) as gauges: what autoscalers and alerts watch."""
        while True:
            try:
                info = await self._bus.js.consumer_info(self._stream, self._sub.durable)
            except Exception as exc:
                log.debug("consumer info for %s unavailable: %r", self._sub.durable, exc)
            else:
                for field, gauge in self._backlog.items():
                    gauge.set(getattr(info, field) or 0)
            await asyncio.sleep(self._backlog_poll_s)

    async def _process(self, msg: Msg) -> None:
        started = time.perf_counter()
        outcome = await self._dispatch(msg)
        self._handled[outcome].inc()
        self._duration.observe(time.perf_counter() - started)

    async def _dispatch(self, msg: Msg) -> str:
        attempt = msg.metadata.num_delivered or 1
        if attempt > self._sub.max_deliver:
            # A previous dead-letter publish failed after the last attempt.
            return await self._dead_letter(msg, attempt - 1, f"gave up after {self._sub.max_deliver} attempts")
        try:
            envelope = decode_envelope(msg.data)
            route = self._route(envelope.type)
            event: Event[Any] = Event.from_envelope(
                envelope, route.message_type, subject=msg.subject, attempt=attempt, headers=msg.headers or {}
            )
            with self._tracer.start_as_current_span(
                f"{envelope.type} process",
                context=extract_context(envelope.trace_context),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    SERVICE_ATTRIBUTE: self._service,
                    "messaging.consumer": self._sub.durable,
                    "reelforge.event_id": envelope.event_id,
                },
            ):
                await route.handler(event)
        except PermanentError as exc:
            return await self._dead_letter(msg, attempt, str(exc))
        except Exception as exc:
            if attempt >= self._sub.max_deliver:
                reason = f"failed {attempt} of {self._sub.max_deliver} attempts; last error: {exc!r}"
                return await self._dead_letter(msg, attempt, reason)
            delay = self._sub.delay_after(attempt)
            log.warning(
                "handler failed, retrying",
                extra={"consumer": self._sub.durable, "attempt": attempt, "retry_in_s": delay, "error": repr(exc)},
            )
            await msg.nak(delay=delay)
            return "retried"
        await msg.ack()
        return "acked"

    def _route(self, event_type: str) -> Route[Any]:
        route = self._exact.get(event_type)
        if route is None:
            route = next((r for r in self._patterns if fnmatch.fnmatchcase(event_type, r.event_type)), None)
        if route is None:
            raise PermanentError(f"consumer {self._sub.durable} has no handler for {event_type}")
        return route

    async def _dead_letter(self, msg: Msg, attempts: int, reason: str) -> str:
        if self._sub.dead_letters:
            # Already in the dead-letter stream: there is nowhere further to go.
            log.error(
                "dead letter dropped by its consumer",
                extra={"consumer": self._sub.durable, "subject": msg.subject, "reason": reason},
            )
            await msg.term()
            return "dropped"
        meta = msg.metadata
        headers = {
            **(msg.headers or {}),
            "Nats-Msg-Id": f"{self._sub.durable}:{meta.sequence.stream}",
            "Rf-Dlq-Reason": reason[:2000],
            "Rf-Dlq-Subject": msg.subject,
            "Rf-Dlq-Consumer": self._sub.durable,
            "Rf-Dlq-Stream-Seq": str(meta.sequence.stream),
            "Rf-Dlq-Attempts": str(attempts),
        }
        try:
            await self._bus.js.publish(
                dead_letter_subject(msg.subject),
                msg.data,
                headers=headers,
                stream=dead_letter_stream(self._bus.prefix),
            )
        except Exception as exc:
            log.error("dead-letter publish failed, will retry: %r", exc, extra={"consumer": self._sub.durable})
            await msg.nak(delay=self._sub.delay_after(1))
            return "dead_letter_failed"
        log.error(
            "message dead-lettered",
            extra={"consumer": self._sub.durable, "subject": msg.subject, "attempts": attempts, "reason": reason},
        )
        await msg.term()
        return "dead_lettered"
