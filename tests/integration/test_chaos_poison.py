"""Poison messages: a job message no worker can handle is tried exactly
MaxDeliver times on the backoff schedule, then moved to the dead-letter stream
with its reason, and its job fails visibly, with that reason, in the API."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from typing import Any

import pytest
from conftest import Platform
from figures import record, runs
from support import Recorder, run_consumer, wait_for

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge.events.v1.jobs_pb2 import JobProgress
from reelforge.events.v1.pose_pb2 import PoseRequested
from reelforge_common.bus import Bus, Route, Subscription, new_envelope
from reelforge_common.bus.subjects import dead_letter_stream

pytestmark = pytest.mark.chaos

MAX_DELIVER = 5
BACKOFF_S = (0.2, 0.4, 0.8, 1.6)  # the services' schedule (1, 5, 30, 120 s), scaled down


async def test_poison_job_messages_are_dead_lettered_and_their_jobs_fail_with_the_reason(
    platform: Platform, bus: Bus
) -> None:
    tenant, auth = await platform.tenant("acme")
    count = runs(full=10, fast=2)
    worker_fails = Recorder(fail_with=RuntimeError("decoder crashed on frame 17"))
    route = Route("pose.requested", PoseRequested, worker_fails)  # type: ignore[arg-type]
    worker = await run_consumer(
        bus, Subscription(durable="poisoned", routes=(route,), max_deliver=MAX_DELIVER, backoff_s=BACKOFF_S)
    )
    started_at = time.monotonic()
    failing = [f"job_poison{i}" for i in range(count)]
    wrong_type = [f"job_wrongtype{i}" for i in range(count)]
    for job in failing:
        await bus.publish(_job_message(tenant, job, PoseRequested(asset_id="a1")))
    for job in wrong_type:  # a payload the route cannot decode: never reaches the handler
        await bus.publish(_job_message(tenant, job, JobProgress(stage="x")))

    async def failed_jobs() -> list[dict[str, Any]]:
        found = [(await platform.api.get(f"/v1/jobs/{job}", headers=auth)).json() for job in failing + wrong_type]
        return [job for job in found if job.get("status") == "failed"]

    async def all_failed() -> bool:
        return len(await failed_jobs()) == 2 * count

    await wait_for(all_failed, timeout_s=60, what="every poisoned job to fail")
    await worker.stop(5)
    elapsed = time.monotonic() - started_at

    attempts: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for event, at in zip(worker_fails.events, worker_fails.times, strict=True):
        attempts[event.correlation_id].append((event.attempt, at))
    on_schedule = [job for job in failing if _follows_schedule(attempts[job])]
    reasons = {job["id"]: job["error"] for job in await failed_jobs()}
    dead = await _dead_letter_reasons(bus)
    visible = [
        job
        for job in failing
        if reasons[job]["code"] == "dead_lettered" and "decoder crashed on frame 17" in reasons[job]["message"]
    ]
    record(
        "chaos",
        "poison message -> dead letter",
        2 * count,
        len(on_schedule) + sum("expected reelforge.events.v1.PoseRequested" in dead[job] for job in wrong_type),
        f"{len(on_schedule)}/{count} failing messages tried exactly {MAX_DELIVER}x on the backoff "
        f"{BACKOFF_S} s, {len(dead)} dead-lettered with a reason, {len(reasons)} jobs failed visibly "
        f"({elapsed:.1f} s)",
    )
    assert on_schedule == failing, dict(attempts)
    assert visible == failing, reasons
    assert set(dead) == set(failing + wrong_type)
    assert all("5 of 5" in dead[job] for job in failing), dead
    assert all("expected reelforge.events.v1.PoseRequested" in dead[job] for job in wrong_type), dead
    assert all(reasons[job]["code"] == "dead_lettered" for job in wrong_type), reasons


def _job_message(tenant: str, job: str, payload: Any) -> Any:
    return new_envelope(
        event_type="pose.requested", tenant_id=tenant, payload=payload, producer="test", correlation_id=job
    )


def _follows_schedule(tries: list[tuple[int, float]]) -> bool:
    """Exactly MAX_DELIVER tries, numbered in order, none before its backoff."""
    numbers = [number for number, _ in tries]
    gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(tries)]
    on_time = all(gap >= delay * 0.9 for gap, delay in zip(gaps, BACKOFF_S, strict=False))
    return numbers == list(range(1, MAX_DELIVER + 1)) and on_time


async def _dead_letter_reasons(bus: Bus) -> dict[str, str]:
    """Each dead letter's reason, by the job its envelope belongs to."""
    stream = dead_letter_stream(bus.prefix)
    info = await bus.js.stream_info(stream)
    reasons = {}
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await bus.js.get_msg(stream, sequence)
        assert message.headers is not None
        assert message.data is not None
        reasons[Envelope.FromString(message.data).correlation_id] = message.headers["Rf-Dlq-Reason"]
    return reasons
