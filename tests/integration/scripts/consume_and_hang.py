"""Child process for the crash test: applies one event's effect (with the
inbox), says so, then hangs without acking until it is SIGKILLed."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import apply_effect_once

from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge_common.bus import Bus, ConsumerRunner, Event, Route, Subscription
from reelforge_common.db import Database
from reelforge_common.settings import ServiceSettings
from reelforge_common.telemetry import Metrics


async def main() -> None:
    settings = ServiceSettings()
    db = await Database.connect(settings.database_url.get_secret_value(), schema=settings.database_schema)
    bus = await Bus.connect(settings.nats_url, prefix=settings.bus_prefix, name="crash-test")

    async def handle(event: Event[TranscriptionRequested]) -> None:
        applied = await apply_effect_once(db, event)
        print(f"applied={applied}", flush=True)
        await asyncio.Event().wait()

    route = Route("transcription.requested", TranscriptionRequested, handle)
    runner = ConsumerRunner(bus, Subscription(durable="effects", routes=(route,), ack_wait_s=2.0), Metrics("child"))
    await runner.start()
    await asyncio.Event().wait()


asyncio.run(main())
