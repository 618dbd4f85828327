"""The bus against a real JetStream: dedupe, retries, dead letters, heartbeats,
drain, and recovery from NATS restarts and killed consumers."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from functools import partial
from pathlib import Path

import pytest
from figures import record, runs
from support import (
    EFFECTS_TABLE,
    Recorder,
    apply_effect_once,
    free_port,
    read_until,
    run_consumer,
    start_script,
    subscription,
    wait_for,
)

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge.events.v1.jobs_pb2 import JobProgress
from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge_common.bus import Bus, ConsumerRunner, Event, PermanentError, Route, Subscription, new_envelope
from reelforge_common.bus.subjects import dead_letter_stream, event_subject, events_stream
from reelforge_common.db import Database
from reelforge_common.telemetry import Metrics
from reelforge_devstack.components import NatsServer
from reelforge_devstack.layout import StackLayout


def _request(tenant: str = "acme", asset: str = "a1", job: str = "job-1") -> Envelope:
    return new_envelope(
        event_type="transcription.requested",
        tenant_id=tenant,
        payload=TranscriptionRequested(asset_id=asset, language="en"),
        producer="test",
        correlation_id=job,
    )


async def _dead_letters(bus: Bus) -> int:
    info = await bus.js.stream_info(dead_letter_stream(bus.prefix))
    return int(info.state.messages)


async def _settled(bus: Bus, durable: str) -> bool:
    info = await bus.js.consumer_info(events_stream(bus.prefix), durable)
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)


async def test_event_published_twice_is_stored_and_handled_once(bus: Bus) -> None:
    envelope = _request()
    first, second = await bus.publish(envelope), await bus.publish(envelope)
    assert not first.duplicate
    assert second.duplicate

    recorder = Recorder()
    runner = await run_consumer(
        bus, subscription("dedupe", "transcription.requested", TranscriptionRequested, recorder)
    )
    await wait_for(lambda: _settled(bus, "dedupe"), what="consumer to ack")
    await runner.stop(5)

    info = await bus.js.stream_info(events_stream(bus.prefix))
    assert info.state.messages == 1
    assert recorder.ids == [envelope.event_id]
    event = recorder.events[0]
    assert (event.tenant_id, event.correlation_id, event.event_type) == ("acme", "job-1", "transcription.requested")
    assert isinstance(event.payload, TranscriptionRequested)
    assert event.payload.asset_id == "a1"
    assert event.subject == event_subject(bus.prefix, "transcription.requested", "acme")


async def test_always_failing_handler_runs_max_deliver_times_with_backoff_then_dead_letters(bus: Bus) -> None:
    recorder = Recorder(fail_with=RuntimeError("boom"))
    backoff = (0.3, 0.6, 1.2)
    runner = await run_consumer(
        bus,
        subscription(
            "fails", "transcription.requested", TranscriptionRequested, recorder, max_deliver=4, backoff_s=backoff
        ),
    )
    envelope = _request()
    await bus.publish(envelope)
    await wait_for(lambda: _dead_letters_is(bus, 1), what="dead letter")
    await wait_for(lambda: _settled(bus, "fails"), what="message terminated")
    await runner.stop(5)

    assert [e.attempt for e in recorder.events] == [1, 2, 3, 4]
    gaps = [later - earlier for earlier, later in zip(recorder.times, recorder.times[1:], strict=False)]
    for gap, delay in zip(gaps, backoff, strict=True):
        assert gap >= delay * 0.9, f"redelivered after {gap:.2f}s, backoff was {delay}s"

    subject = event_subject(bus.prefix, "transcription.requested", "acme")
    dead = await bus.js.get_last_msg(dead_letter_stream(bus.prefix), f"dlq.{subject}")
    assert dead.data == envelope.SerializeToString()
    assert dead.headers is not None
    assert "boom" in dead.headers["Rf-Dlq-Reason"]
    assert "4 of 4" in dead.headers["Rf-Dlq-Reason"]
    assert dead.headers["Rf-Dlq-Subject"] == subject
    assert dead.headers["Rf-Dlq-Attempts"] == "4"
    assert dead.headers["Rf-Dlq-Consumer"] == "fails"


async def _dead_letters_is(bus: Bus, count: int) -> bool:
    return await _dead_letters(bus) == count


async def test_permanent_error_dead_letters_after_one_attempt(bus: Bus) -> None:
    recorder = Recorder(fail_with=PermanentError("asset does not exist"))
    runner = await run_consumer(bus, subscription("perm", "transcription.requested", TranscriptionRequested, recorder))
    await bus.publish(_request())
    await wait_for(lambda: _dead_letters_is(bus, 1), what="dead letter")
    await wait_for(lambda: _settled(bus, "perm"), what="message terminated")
    await runner.stop(5)
    assert len(recorder.events) == 1
    dead = await bus.js.get_msg(dead_letter_stream(bus.prefix), 1)
    assert dead.headers is not None
    assert dead.headers["Rf-Dlq-Reason"] == "asset does not exist"


async def test_poison_messages_are_dead_lettered_without_reaching_the_handler(bus: Bus) -> None:
    recorder = Recorder()
    runner = await run_consumer(
        bus, subscription("poison", "transcription.requested", TranscriptionRequested, recorder)
    )
    wrong_payload = new_envelope(
        event_type="transcription.requested", tenant_id="acme", payload=JobProgress(stage="x"), producer="test"
    )
    await bus.publish(wrong_payload)
    subject = event_subject(bus.prefix, "transcription.requested", "acme")
    await bus.js.publish(subject, b"\xff\x00 not protobuf", headers={"Nats-Msg-Id": "garbage-1"})
    await wait_for(lambda: _dead_letters_is(bus, 2), what="two dead letters")
    await runner.stop(5)

    assert recorder.events == []
    reasons = []
    for seq in (1, 2):
        dead = await bus.js.get_msg(dead_letter_stream(bus.prefix), seq)
        assert dead.headers is not None
        reasons.append(dead.headers["Rf-Dlq-Reason"])
    assert any("expected reelforge.events.v1.TranscriptionRequested" in r for r in reasons)
    assert any("undecodable envelope" in r or "without event_id" in r for r in reasons)


async def test_handler_longer_than_ack_wait_keeps_its_message_with_in_progress_acks(bus: Bus) -> None:
    calls: list[int] = []

    async def slow(event: Event[TranscriptionRequested]) -> None:
        calls.append(event.attempt)
        await asyncio.sleep(3.0)  # three times ack_wait: only heartbeats keep the message ours

    route = Route("transcription.requested", TranscriptionRequested, slow)
    runner = await run_consumer(bus, Subscription(durable="slow", routes=(route,), ack_wait_s=1.0))
    await bus.publish(_request())
    await wait_for(lambda: _settled(bus, "slow"), what="slow handler to finish")
    info = await bus.js.consumer_info(events_stream(bus.prefix), "slow")
    await runner.stop(5)
    assert calls == [1]
    assert info.num_redelivered == 0


async def test_stop_lets_in_flight_handlers_finish_and_ack(bus: Bus) -> None:
    started, finished = asyncio.Event(), []

    async def handler(event: Event[TranscriptionRequested]) -> None:
        started.set()
        await asyncio.sleep(1.0)
        finished.append(event.event_id)

    route = Route("transcription.requested", TranscriptionRequested, handler)
    runner = await run_consumer(bus, Subscription(durable="drain", routes=(route,)))
    envelope = _request()
    await bus.publish(envelope)
    await asyncio.wait_for(started.wait(), 10)
    await runner.stop(10)
    assert finished == [envelope.event_id]
    await wait_for(lambda: _settled(bus, "drain"), what="the drained handler's ack to reach the server")


async def test_consumer_lag_and_unacknowledged_messages_are_exported(bus: Bus) -> None:
    release = asyncio.Event()

    async def handler(event: Event[TranscriptionRequested]) -> None:
        await release.wait()

    route = Route("transcription.requested", TranscriptionRequested, handler)
    metrics = Metrics("transcription")
    runner = ConsumerRunner(
        bus, Subscription(durable="lagging", routes=(route,), concurrency=2), metrics, backlog_poll_s=0.1
    )
    await runner.start()
    for n in range(5):
        await bus.publish(_request(asset=f"a{n}"))

    def gauge(thing: str) -> float | None:
        name = f"reelforge_transcription_bus_consumer_{thing}_messages"
        return metrics.registry.get_sample_value(name, {"consumer": "lagging"})

    async def backlog_is(pending: float, ack_pending: float) -> bool:
        return gauge("pending") == pending and gauge("ack_pending") == ack_pending

    try:
        await wait_for(lambda: backlog_is(3, 2), what="3 waiting and 2 in flight")
        assert gauge("max_ack_pending") == 1000
        release.set()
        await wait_for(lambda: backlog_is(0, 0), what="the backlog to drain")
    finally:
        release.set()
        await runner.stop(5)


@pytest.mark.chaos
async def test_consumption_resumes_after_nats_is_killed_and_restarted(tmp_path: Path, uid: str) -> None:
    """SIGKILL nats-server mid-run, start it again: no acknowledged event is
    lost and the consumer resumes (the figure: how soon after the restart)."""
    server = NatsServer(
        StackLayout(root=tmp_path, ports={}),
        port=free_port(),
        monitor_port=free_port(),
        data_dir=tmp_path / "nats",
        name="nats-restart",
    )
    kills = runs(full=5)
    resumed_after: list[float] = []
    try:
        server.start()
        bus = await Bus.connect(server.address(), prefix=uid, name="restart-test")
        await bus.ensure_streams()
        received: dict[str, float] = {}

        async def handler(event: Event[TranscriptionRequested]) -> None:
            await asyncio.sleep(0.01)
            received.setdefault(event.event_id, asyncio.get_running_loop().time())

        route = Route("transcription.requested", TranscriptionRequested, handler)
        runner = await run_consumer(
            bus, Subscription(durable="restart", routes=(route,), concurrency=1, ack_wait_s=2.0)
        )
        published: list[Envelope] = []
        for kill in range(kills):
            batch = [_request(asset=f"a{kill}-{i}") for i in range(200)]
            for envelope in batch[:100]:
                await bus.publish(envelope)  # acknowledged by JetStream before the kill
            published += batch
            started = len(published) - 180
            await wait_for(partial(_has_at_least, received, started), what="consumption to start")

            await asyncio.to_thread(server.kill)
            await asyncio.to_thread(server.start)
            restarted_at = asyncio.get_running_loop().time()
            for envelope in batch[100:]:
                await _publish_when_reconnected(bus, envelope)
            every = len(published)
            await wait_for(partial(_has_at_least, received, every), timeout_s=60, what="every event")
            resumed_after.append(min(received[e.event_id] for e in batch[100:]) - restarted_at)
        await runner.stop(5)
        lost = {e.event_id for e in published} - set(received)
        record(
            "chaos",
            "nats-server SIGKILL + restart",
            kills,
            kills if not lost else 0,
            f"{len(lost)} of {len(published)} acknowledged events lost; consumer resumed "
            f"{max(resumed_after):.2f} s after the restart at worst (target 5 s)",
        )
        assert not lost
        await bus.close()
    finally:
        server.stop()


async def _has_at_least(items: Collection[str], count: int) -> bool:
    return len(items) >= count


async def _publish_when_reconnected(bus: Bus, envelope: Envelope) -> None:
    for _ in range(100):
        try:
            await bus.publish(envelope, ack_timeout_s=1.0)
            return
        except Exception:
            await asyncio.sleep(0.1)
    raise AssertionError("could not publish after the NATS restart")


async def test_consumer_killed_before_ack_gets_redelivery_and_effect_applies_once(
    bus: Bus, db: Database, child_env: dict[str, str]
) -> None:
    await db.migrate("test", None)
    await db.pool.execute(EFFECTS_TABLE)
    envelope = _request()
    await bus.publish(envelope)

    child = await start_script("consume_and_hang", child_env)
    await read_until(child, "applied=True")
    child.kill()
    await child.wait()

    outcomes: list[tuple[int, bool]] = []

    async def handler(event: Event[TranscriptionRequested]) -> None:
        outcomes.append((event.attempt, await apply_effect_once(db, event)))

    route = Route("transcription.requested", TranscriptionRequested, handler)
    runner = await run_consumer(bus, Subscription(durable="effects", routes=(route,), ack_wait_s=2.0))
    await wait_for(lambda: _settled(bus, "effects"), what="redelivery to be acked")
    await runner.stop(5)

    assert outcomes == [(2, False)]
    assert await db.pool.fetchval("SELECT count(*) FROM effects") == 1
