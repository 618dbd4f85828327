"""The outbox relay and inbox against real Postgres and JetStream."""

from __future__ import annotations

import asyncio
import random

import pytest
from figures import record, runs
from support import start_script, wait_for

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge.events.v1.jobs_pb2 import JobProgress
from reelforge_common.bus import Bus, new_envelope
from reelforge_common.bus.subjects import events_stream
from reelforge_common.db import Database, OutboxRelay, add_to_outbox, first_delivery
from reelforge_common.telemetry import Metrics


def _progress(n: int) -> Envelope:
    return new_envelope(
        event_type="transcription.progress",
        tenant_id="acme",
        payload=JobProgress(stage="transcribing", fraction=n / 1000),
        producer="test",
        correlation_id="job-1",
    )


async def _stream_event_ids(bus: Bus) -> list[str]:
    """Every event id in the test's events stream, in stream order."""
    info = await bus.js.stream_info(events_stream(bus.prefix))
    ids = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        raw = await bus.js.get_msg(events_stream(bus.prefix), seq)
        envelope = Envelope()
        envelope.ParseFromString(raw.data or b"")
        ids.append(envelope.event_id)
    return ids


async def _outbox_rows(db: Database) -> int:
    return int(await db.pool.fetchval("SELECT count(*) FROM outbox"))


async def test_committed_events_are_relayed_and_rolled_back_ones_never(bus: Bus, db: Database) -> None:
    await db.migrate("test", None)
    kept = [_progress(i) for i in range(3)]
    async with db.transaction() as conn:
        for envelope in kept:
            await add_to_outbox(conn, envelope)
    try:
        async with db.transaction() as conn:
            await add_to_outbox(conn, _progress(99))
            raise RuntimeError("the state change failed")
    except RuntimeError:
        pass

    assert await OutboxRelay(db, bus, Metrics("test")).relay_once() == 3
    assert await _stream_event_ids(bus) == [e.event_id for e in kept]
    assert await _outbox_rows(db) == 0


async def test_relay_killed_between_publish_and_delete_loses_nothing_and_duplicates_nothing(
    bus: Bus, db: Database, child_env: dict[str, str]
) -> None:
    await db.migrate("test", None)
    events = [_progress(i) for i in range(20)]
    async with db.transaction() as conn:
        for envelope in events:
            await add_to_outbox(conn, envelope)

    child = await start_script("relay_dies_after_publish", child_env, str(len(events)), str(len(events)))
    assert await child.wait() == -9
    assert await _outbox_rows(db) == len(events), "the killed relay must not have deleted its rows"
    assert len(await _stream_event_ids(bus)) == len(events)

    assert await OutboxRelay(db, bus, Metrics("test")).relay_once() == len(events)
    assert await _outbox_rows(db) == 0
    assert await _stream_event_ids(bus) == [e.event_id for e in events]


@pytest.mark.chaos
async def test_a_relay_crash_loop_loses_nothing_and_duplicates_nothing(
    bus: Bus, db: Database, child_env: dict[str, str]
) -> None:
    """Relays SIGKILLed again and again, each at a random point of its batch
    (after publishing, before deleting), while the outbox keeps filling."""
    await db.migrate("test", None)
    crashes = runs(full=20, fast=3)
    chooser = random.Random(20261206)
    events: list[Envelope] = []
    for crash in range(crashes):
        batch = [_progress(crash * 10 + i) for i in range(10)]
        async with db.transaction() as conn:
            for envelope in batch:
                await add_to_outbox(conn, envelope)
        events += batch
        child = await start_script("relay_dies_after_publish", child_env, "10", str(chooser.randint(1, 10)))
        assert await child.wait() == -9
    await OutboxRelay(db, bus, Metrics("test")).relay_once()
    relayed = await _stream_event_ids(bus)
    exact = relayed == [e.event_id for e in events]
    record(
        "chaos",
        "outbox relay crash loop",
        crashes,
        crashes if exact else 0,
        f"{len(events)} events, {len(relayed)} in the stream, {len(set(relayed))} distinct, "
        f"{await _outbox_rows(db)} rows left",
    )
    assert exact
    assert await _outbox_rows(db) == 0


async def test_relays_skip_no_row_when_concurrent_writers_commit_out_of_order(bus: Bus, db: Database) -> None:
    await db.migrate("test", None)
    rng = random.Random(7)
    written: list[str] = []

    async def writer(n: int) -> None:
        for i in range(25):
            async with db.transaction() as conn:
                for j in range(rng.randint(1, 3)):
                    envelope = _progress(n * 100 + i * 3 + j)
                    await add_to_outbox(conn, envelope)
                    written.append(envelope.event_id)
                # Hold the transaction open: identity values commit out of order.
                await asyncio.sleep(rng.uniform(0, 0.03))

    relays = [OutboxRelay(db, bus, Metrics("test"), batch=7, idle_poll_s=0.05) for _ in range(2)]
    for relay in relays:
        await relay.start()
    await asyncio.gather(*(writer(n) for n in range(6)))

    async def all_relayed() -> bool:
        return await _outbox_rows(db) == 0

    await wait_for(all_relayed, what="outbox to drain")
    for relay in relays:
        await relay.stop()
    relayed = await _stream_event_ids(bus)
    assert sorted(relayed) == sorted(written)


async def test_inbox_admits_an_event_once_and_forgets_a_rolled_back_claim(db: Database) -> None:
    await db.migrate("test", None)
    try:
        async with db.transaction() as conn:
            assert await first_delivery(conn, consumer="c", event_id="00000000-0000-0000-0000-000000000001")
            raise RuntimeError("effect failed")
    except RuntimeError:
        pass
    async with db.transaction() as conn:
        assert await first_delivery(conn, consumer="c", event_id="00000000-0000-0000-0000-000000000001")
    async with db.transaction() as conn:
        assert not await first_delivery(conn, consumer="c", event_id="00000000-0000-0000-0000-000000000001")
        assert await first_delivery(conn, consumer="other", event_id="00000000-0000-0000-0000-000000000001")
