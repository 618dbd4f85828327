"""Child process for the relay crash tests: relays the outbox in batches of
``rows``, and SIGKILLs itself once it has published ``die_after`` events
(by default the whole batch), before the relay deletes their rows."""

import asyncio
import os
import signal
import sys

from nats.js.api import PubAck

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge_common.bus import Bus
from reelforge_common.db import Database, OutboxRelay
from reelforge_common.settings import ServiceSettings
from reelforge_common.telemetry import Metrics


async def main(rows: int, die_after: int) -> None:
    settings = ServiceSettings()
    db = await Database.connect(settings.database_url.get_secret_value(), schema=settings.database_schema)
    bus = await Bus.connect(settings.nats_url, prefix=settings.bus_prefix, name="relay-crash")
    publish = bus.publish
    published = 0

    async def publish_then_die(envelope: Envelope, *, ack_timeout_s: float = 5.0) -> PubAck:
        nonlocal published
        ack = await publish(envelope, ack_timeout_s=ack_timeout_s)
        published += 1
        if published == die_after:
            print("published all, dying", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return ack

    bus.publish = publish_then_die  # type: ignore[method-assign]
    await OutboxRelay(db, bus, Metrics("child"), batch=rows).relay_once()


asyncio.run(main(int(sys.argv[1]), int(sys.argv[-1])))
