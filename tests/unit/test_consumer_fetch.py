"""How the consumer runner reads the outcomes of a pull fetch."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

import nats.errors

from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge_common.bus import Bus, ConsumerRunner, Route, Subscription
from reelforge_common.telemetry import Metrics


@dataclass
class _Bus:
    prefix: str = "rf"
    generation: int = 0


@dataclass
class _Subscription:
    """A pull subscription whose fetches fail as ``outcomes`` says, then wait."""

    outcomes: list[BaseException]
    fetches: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    async def fetch(self, batch: int, timeout: float) -> list[Any]:
        self.fetches += 1
        if self.outcomes:
            raise self.outcomes.pop(0)
        self.idle.set()
        await asyncio.sleep(3600)
        return []


async def _ignore(event: object) -> None:
    return None


def _runner() -> ConsumerRunner:
    route = Route("transcription.requested", TranscriptionRequested, _ignore)
    subscription = Subscription(durable="jobs", routes=(route,))
    return ConsumerRunner(cast(Bus, _Bus()), subscription, Metrics("test"), fetch_timeout_s=0.01)


async def test_a_fetch_that_times_out_either_way_means_no_messages_not_a_rebind() -> None:
    """nats-py raises its own TimeoutError or a bare asyncio.TimeoutError when
    nothing arrived in time; neither is a reason to re-bind."""
    psub = _Subscription([nats.errors.TimeoutError(), TimeoutError(), nats.errors.TimeoutError()])
    pulling = asyncio.create_task(_runner()._pull(cast(Any, psub), generation=0))
    await asyncio.wait_for(psub.idle.wait(), 5)
    assert psub.fetches == 4
    assert not pulling.done()
    pulling.cancel()
    await asyncio.gather(pulling, return_exceptions=True)


async def test_a_broken_connection_ends_the_pull_so_the_runner_rebinds() -> None:
    psub = _Subscription([nats.errors.ConnectionClosedError()])
    await asyncio.wait_for(_runner()._pull(cast(Any, psub), generation=0), 5)
    assert psub.fetches == 1


async def test_a_fetch_that_outlives_its_timeout_is_abandoned_and_rebound() -> None:
    psub = _Subscription([])  # never answers
    await asyncio.wait_for(_runner()._pull(cast(Any, psub), generation=0), 10)
    assert psub.fetches == 1
