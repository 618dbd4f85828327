"""The NATS connection of one service, and publishing onto it."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge_common.bus.streams import StreamSpec, default_streams, ensure_stream
from reelforge_common.bus.subjects import event_subject, events_stream

log = logging.getLogger(__name__)
# Unanswered pings after which the client drops a connection and reconnects.
_MAX_OUTSTANDING_PINGS = 3


class Bus:
    """A NATS connection that reconnects forever, with the deployment's
    subject prefix and streams.

    ``generation`` increases on every reconnect; consumer runners watch it to
    re-create their pull subscriptions (nats.py issue #504: pull subscriptions
    can stall after a server restart).
    """

    def __init__(self, nc: Client, prefix: str, *, replicas: int = 1) -> None:
        self.nc = nc
        self.replicas = replicas
        self.js: JetStreamContext = nc.jetstream()
        self.prefix = prefix
        self.generation = 0
        self.closing = False

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        prefix: str,
        name: str,
        replicas: int = 1,
        wait_s: float = 30.0,
        ping_interval_s: float = 10.0,
    ) -> Bus:
        """Connect, waiting up to ``wait_s`` for NATS; once connected, the
        client reconnects for ever. It pings the server every
        ``ping_interval_s``: a connection that leaves 3 pings unanswered (a
        silent partition, no RST) is dropped and replaced."""
        bus: Bus | None = None

        async def on_reconnect() -> None:
            if bus is not None:
                bus.generation += 1
            log.warning("nats reconnected", extra={"url": url})

        async def on_disconnect() -> None:
            if bus is not None and not bus.closing:
                log.warning("nats disconnected", extra={"url": url})

        async def on_error(exc: Exception) -> None:
            log.warning("nats error: %s", exc)

        connecting = nats.connect(
            url,
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            allow_reconnect=True,
            ping_interval=ping_interval_s,
            max_outstanding_pings=_MAX_OUTSTANDING_PINGS,
            reconnected_cb=on_reconnect,
            disconnected_cb=on_disconnect,
            error_cb=on_error,
        )
        try:
            nc = await asyncio.wait_for(connecting, wait_s)
        except TimeoutError as exc:
            raise ConnectionError(f"NATS at {url} did not answer within {wait_s:.0f}s") from exc
        bus = cls(nc, prefix, replicas=replicas)
        return bus

    def streams(self) -> tuple[StreamSpec, ...]:
        return default_streams(self.prefix, replicas=self.replicas)

    async def ensure_streams(self) -> None:
        for spec in self.streams():
            await ensure_stream(self.js, spec)

    async def publish(self, envelope: Envelope, *, ack_timeout_s: float = 5.0) -> PubAck:
        """Publish with ``Nats-Msg-Id`` = event id, so a repeat is dropped by
        the server within the stream's duplicate window."""
        subject = event_subject(self.prefix, envelope.type, envelope.tenant_id)
        headers = {"Nats-Msg-Id": envelope.event_id, **envelope.trace_context}
        return await self.js.publish(
            subject,
            envelope.SerializeToString(),
            timeout=ack_timeout_s,
            stream=events_stream(self.prefix),
            headers=headers,
        )

    async def close(self) -> None:
        """Drain (flush pending acks and publishes), or just close when NATS is
        unreachable and there is nothing to drain into."""
        self.closing = True
        if self.nc.is_closed:
            return
        try:
            await self.nc.drain()
        except Exception as exc:
            log.warning("nats drain failed, closing: %r", exc)
            await self.nc.close()
