"""Webhook delivery: the notify service against a bare nats-py relay, same events, same receiver.

    python bench/notify.py [--events 2000] [--rate 100] [--seconds 10]

Each path turns jobs' changes (``job.changed``, as the gateway announces
them) published on JetStream into signed (Standard Webhooks) POSTs to a local
receiver (its own process). Ours is the notify service as it runs
(in-process, its own bus prefix and schema on the local stack): the event's
inbox record, the message and its delivery committed to Postgres, then the
leased delivery queue signs, POSTs and logs the attempt. The baseline is the
least a relay can do: a bare nats-py pull consumer that signs each message,
POSTs it with httpx and acks it, with no delivery state, retries or log.

Two phases per path: a burst of --events published at once (deliveries per
second), then a steady --rate for --seconds (lag from publish to receipt).
Needs the local stack (`make up`). Last line: ``p99_ms=<ours, steady rate>``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import nats
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig
from standardwebhooks import Webhook

from reelforge.events.v1.jobs_pb2 import JobChanged
from reelforge.notify.v1 import notify_pb2
from reelforge.notify.v1.notify_pb2_grpc import NotifyStub
from reelforge_common.bus import new_envelope
from reelforge_common.bus.streams import default_streams, ensure_stream
from reelforge_common.bus.subjects import event_subject, events_stream
from reelforge_common.grpc_server import insecure_channel
from reelforge_common.runner import RunningService
from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout
from reelforge_notify.config import NotifySettings
from reelforge_notify.main import DEFINITION as NOTIFY
from reelforge_notify.signing import new_secret

ROOT = Path(__file__).resolve().parents[1]
TENANT = "bench"
Publish = Callable[[str], Awaitable[None]]
_BURST_WINDOW = 256


@dataclass
class Phase:
    events: int
    seconds: float
    lags_ms: list[float]

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def p(self, q: int) -> float:
        return statistics.quantiles(self.lags_ms, n=100)[q - 1]


class Receiver:
    """``reelforge-stack webhook-receiver`` in its own process (so receiving
    takes no CPU from the path measured), telling when each message arrived."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.published: dict[str, float] = {}
        self.arrived: dict[str, float] = {}
        self._process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Receiver:
        self._process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "reelforge-stack"),
            "webhook-receiver",
            "--port",
            str(self.port),
            "--timestamps",
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._process.stdout is not None
        await self._process.stdout.readline()  # "receiving webhooks on ..."
        self._reading = asyncio.create_task(self._read(self._process.stdout))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.terminate()
            await self._process.wait()
        if self._reading is not None:
            self._reading.cancel()

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            at, webhook_id = line.decode().split()
            self.arrived.setdefault(webhook_id.removeprefix("msg_"), float(at))

    async def phase(self, publish: Publish, count: int, rate: float | None) -> Phase:
        """Publish ``count`` events at ``rate`` a second, or (None) all at once,
        in windows of publishes awaiting their PubAcks together."""
        ids = [str(uuid.uuid4()) for _ in range(count)]

        async def timed(event_id: str) -> None:
            self.published[event_id] = time.time()
            await publish(event_id)

        started = time.time()
        if rate is None:
            for start in range(0, count, _BURST_WINDOW):
                await asyncio.gather(*(timed(e) for e in ids[start : start + _BURST_WINDOW]))
        else:
            for i, event_id in enumerate(ids):
                await asyncio.sleep(max(0.0, started + i / rate - time.time()))
                await timed(event_id)
        while not all(event_id in self.arrived for event_id in ids):
            if time.time() - started > 300:
                raise RuntimeError(f"only {sum(e in self.arrived for e in ids)} of {count} deliveries arrived")
            await asyncio.sleep(0.01)
        finished = max(self.arrived[e] for e in ids)
        lags = [(self.arrived[e] - self.published[e]) * 1000 for e in ids]
        return Phase(count, finished - started, lags)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _event(event_id: str) -> bytes:
    """A job's change as the gateway announces it."""
    change = JobChanged(job_id=f"job-{event_id}", kind="clipjob", status="succeeded", stage="done", progress=1.0)
    envelope = new_envelope(
        event_type="job.changed",
        tenant_id=TENANT,
        payload=change,
        producer="bench",
        correlation_id=change.job_id,
        event_id=event_id,
    )
    return envelope.SerializeToString()


async def run_ours(env: dict[str, str], args: argparse.Namespace) -> tuple[Phase, Phase]:
    prefix = "bn" + uuid.uuid4().hex[:8]
    settings = NotifySettings.model_validate(
        {
            "nats_url": env["REELFORGE_NATS_URL"],
            "database_url": env["REELFORGE_DATABASE_URL"],
            "bus_prefix": prefix,
            "database_schema": prefix,
            "webhook_allow_networks": ["127.0.0.1/32"],
            "log_level": "WARNING",
        }
    )
    service = RunningService(NOTIFY, settings)
    await service.start()
    bus = service.resources.bus
    try:
        async with Receiver() as receiver:
            channel = insecure_channel(f"127.0.0.1:{service.grpc_port}")
            request = notify_pb2.CreateEndpointRequest(tenant_id=TENANT, url=receiver.url)
            await NotifyStub(channel).CreateEndpoint(request)
            await channel.close()
            subject = event_subject(prefix, "job.changed", TENANT)

            async def publish(event_id: str) -> None:
                await bus.js.publish(subject, _event(event_id), headers={"Nats-Msg-Id": event_id})

            burst = await receiver.phase(publish, args.events, None)
            steady = await receiver.phase(publish, int(args.rate * args.seconds), args.rate)
    finally:
        for spec in bus.streams():
            await bus.js.delete_stream(spec.name)
        await service.stop()
        conn = await asyncpg.connect(env["REELFORGE_DATABASE_URL"])
        await conn.execute(f'DROP SCHEMA IF EXISTS "{prefix}" CASCADE')
        await conn.close()
    return burst, steady


async def run_bare(env: dict[str, str], args: argparse.Namespace) -> tuple[Phase, Phase]:
    prefix = "bb" + uuid.uuid4().hex[:8]
    nc = await nats.connect(env["REELFORGE_NATS_URL"])
    js = nc.jetstream()
    for spec in default_streams(prefix):
        await ensure_stream(js, spec)
    subject = event_subject(prefix, "job.changed", TENANT)
    consumer = ConsumerConfig(durable_name="bare", ack_policy=AckPolicy.EXPLICIT, max_ack_pending=10_000)
    subscription = await js.pull_subscribe(subject, durable="bare", stream=events_stream(prefix), config=consumer)
    signer = Webhook(new_secret())
    in_flight = asyncio.Semaphore(64)
    try:
        async with Receiver() as receiver, httpx.AsyncClient(limits=httpx.Limits(max_connections=64)) as http:

            async def deliver(message: Msg) -> None:
                async with in_flight:
                    event_id = message.headers["Nats-Msg-Id"] if message.headers else ""
                    body = '{"type":"job.succeeded","data":{"job_id":"job-' + event_id + '"}}'
                    at = datetime.now(UTC)
                    headers = {
                        "webhook-id": event_id,
                        "webhook-timestamp": str(int(at.timestamp())),
                        "webhook-signature": signer.sign(event_id, at, body),
                        "content-type": "application/json",
                    }
                    response = await http.post(receiver.url, content=body, headers=headers)
                    if response.is_success:
                        await message.ack()

            async def relay() -> None:
                tasks: set[asyncio.Task[None]] = set()
                while True:
                    try:
                        batch = await subscription.fetch(256, timeout=0.5)
                    except TimeoutError:  # nats-py raises it bare or as nats.errors.TimeoutError
                        continue
                    for message in batch:
                        task = asyncio.create_task(deliver(message))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)

            async def publish(event_id: str) -> None:
                await js.publish(subject, _event(event_id), headers={"Nats-Msg-Id": event_id})

            relaying = asyncio.create_task(relay())
            try:
                burst = await receiver.phase(publish, args.events, None)
                steady = await receiver.phase(publish, int(args.rate * args.seconds), args.rate)
            finally:
                relaying.cancel()
    finally:
        for spec in default_streams(prefix):
            await js.delete_stream(spec.name)
        await nc.close()
    return burst, steady


def report(name: str, burst: Phase, steady: Phase) -> None:
    print(
        f"{name:<24} burst {burst.rate:7.0f} deliveries/s (p99 lag {burst.p(99):6.0f} ms)   "
        f"steady {steady.rate:5.0f}/s: p50 {steady.p(50):5.1f} ms, p99 {steady.p(99):6.1f} ms",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="events in the burst")
    parser.add_argument("--rate", type=float, default=100.0, help="events per second in the steady phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the steady phase")
    args = parser.parse_args()
    env = {**read_env_file(StackLayout.discover(ROOT).env_file), **os.environ}
    bare_burst, bare_steady = await run_bare(env, args)
    report("bare nats-py + httpx", bare_burst, bare_steady)
    burst, steady = await run_ours(env, args)
    report("notify service", burst, steady)
    print(f"burst throughput ratio={burst.rate / bare_burst.rate:.2f} (notify / bare)")
    print(f"p99_ms={steady.p(99):.1f}")


if __name__ == "__main__":
    asyncio.run(main())
