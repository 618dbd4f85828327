"""Bus throughput: libs/common against bare nats-py, same stream, same input.

    python bench/bus.py [--events 20000] [--window 256]

Each path publishes N events (windows of concurrent publishes awaiting their
PubAcks, Nats-Msg-Id set) to a fresh stream with the production settings
(file storage, duplicate window), then consumes and acks all of them through
a durable pull consumer with explicit acks. Ours adds what a service really
does: building envelopes with trace context, the consumer runner (routing,
protobuf decoding, a span per message, metrics, in-progress tracking).
Spans follow the service default (no exporter: not recorded); pass
--record-spans to measure the cost of recording them. Needs the local
stack's NATS (`make up`, or REELFORGE_NATS_URL). The last line is
``ratio=<ours/bare>`` of the median end-to-end rates over --rounds runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import nats
from nats.js.api import AckPolicy, ConsumerConfig
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge_common.bus import Bus, Event, Route, Subscription, new_envelope
from reelforge_common.bus.consumer import ConsumerRunner
from reelforge_common.bus.streams import default_streams, ensure_stream
from reelforge_common.bus.subjects import event_subject, events_stream
from reelforge_common.telemetry import Metrics


def _nats_url() -> str:
    if url := os.environ.get("REELFORGE_NATS_URL"):
        return url
    return "nats://127.0.0.1:14222"


async def _in_windows(n: int, window: int, publish: Callable[[int], Awaitable[object]]) -> None:
    for start in range(0, n, window):
        await asyncio.gather(*(publish(i) for i in range(start, min(n, start + window))))


async def run_ours(url: str, n: int, window: int) -> tuple[float, float]:
    prefix = "bo" + uuid.uuid4().hex[:8]
    bus = await Bus.connect(url, prefix=prefix, name="bench-ours")
    await bus.ensure_streams()
    payload = TranscriptionRequested(asset_id="asset-0001", language="en", model="base", word_timestamps=True)

    async def publish(i: int) -> object:
        envelope = new_envelope(
            event_type="transcription.requested",
            tenant_id="acme",
            payload=payload,
            producer="bench",
            correlation_id="j",
        )
        return await bus.publish(envelope)

    started = time.perf_counter()
    await _in_windows(n, window, publish)
    published = time.perf_counter()

    received = 0
    all_received = asyncio.Event()

    async def handle(event: Event[TranscriptionRequested]) -> None:
        nonlocal received
        received += 1
        if received == n:
            all_received.set()

    route = Route("transcription.requested", TranscriptionRequested, handle)
    runner = ConsumerRunner(bus, Subscription(durable="bench", routes=(route,), concurrency=window), Metrics("bench"))
    consume_started = time.perf_counter()
    await runner.start()
    await all_received.wait()
    consumed = time.perf_counter()
    await runner.stop(10)
    for spec in bus.streams():
        await bus.js.delete_stream(spec.name)
    await bus.close()
    return published - started, consumed - consume_started


async def run_bare(url: str, n: int, window: int) -> tuple[float, float]:
    prefix = "bb" + uuid.uuid4().hex[:8]
    nc = await nats.connect(url, name="bench-bare")
    js = nc.jetstream()
    specs = default_streams(prefix)
    for spec in specs:
        await ensure_stream(js, spec)
    stream = events_stream(prefix)
    subject = event_subject(prefix, "transcription.requested", "acme")
    body = new_envelope(
        event_type="transcription.requested",
        tenant_id="acme",
        payload=TranscriptionRequested(asset_id="asset-0001", language="en", model="base", word_timestamps=True),
        producer="bench",
        correlation_id="j",
    ).SerializeToString()

    async def publish(i: int) -> object:
        return await js.publish(subject, body, stream=stream, headers={"Nats-Msg-Id": str(uuid.uuid4())})

    started = time.perf_counter()
    await _in_windows(n, window, publish)
    published = time.perf_counter()

    consume_started = time.perf_counter()
    await js.add_consumer(stream, ConsumerConfig(durable_name="bench", ack_policy=AckPolicy.EXPLICIT, max_deliver=-1))
    psub = await js.pull_subscribe_bind(durable="bench", stream=stream)
    received = 0
    while received < n:
        try:
            msgs = await psub.fetch(batch=window, timeout=1.0)
        except nats.errors.TimeoutError:
            continue
        for msg in msgs:
            await msg.ack()
        received += len(msgs)
    consumed = time.perf_counter()
    for spec in specs:
        await js.delete_stream(spec.name)
    await nc.close()
    return published - started, consumed - consume_started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each path; medians are compared")
    parser.add_argument("--window", type=int, default=256, help="concurrent publishes and fetch batch size")
    parser.add_argument(
        "--record-spans", action="store_true", help="record a span per message, as a service exporting OTLP does"
    )
    args = parser.parse_args()
    if args.record_spans:
        trace.set_tracer_provider(TracerProvider())
    url, n = _nats_url(), args.events

    rates: dict[str, list[float]] = {"bare nats-py": [], "libs/common": []}
    # Rounds alternate the two paths (bare first, so a cold server does not
    # favour us); the medians even out the noise of a shared machine.
    for _ in range(args.rounds):
        for name, run in (("bare nats-py", run_bare), ("libs/common", run_ours)):
            publish_s, consume_s = await run(url, n, args.window)
            rates[name].append(n / (publish_s + consume_s))
            print(
                f"{name:<13} publish {n / publish_s:>8.0f} ev/s   consume {n / consume_s:>8.0f} ev/s   "
                f"end-to-end {rates[name][-1]:>8.0f} ev/s"
            )
    ours, bare = statistics.median(rates["libs/common"]), statistics.median(rates["bare nats-py"])
    print(f"median end-to-end: libs/common {ours:.0f} ev/s, bare nats-py {bare:.0f} ev/s")
    print(f"ratio={ours / bare:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
