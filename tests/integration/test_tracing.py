"""One trace from a request across a NATS hop and a gRPC hop."""

from __future__ import annotations

import asyncio

from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from support import run_consumer

from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge_common.bus import Bus, Event, Route, Subscription, new_envelope
from reelforge_common.grpc_server import GrpcServer, insecure_channel
from reelforge_common.telemetry import Metrics


async def test_trace_id_continues_across_a_nats_hop_and_a_grpc_hop(bus: Bus, spans: InMemorySpanExporter) -> None:
    server = GrpcServer(host="127.0.0.1", port=0, metrics=Metrics("tracing"), registrars=(), service_names=())
    await server.start()
    done = asyncio.Event()

    async def handler(event: Event[TranscriptionRequested]) -> None:
        async with insecure_channel(f"127.0.0.1:{server.port}") as channel:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        done.set()

    route = Route("transcription.requested", TranscriptionRequested, handler)
    runner = await run_consumer(bus, Subscription(durable="traced", routes=(route,)))
    with trace.get_tracer("test").start_as_current_span("POST /v1/transcriptions") as root:
        await bus.publish(
            new_envelope(
                event_type="transcription.requested",
                tenant_id="acme",
                payload=TranscriptionRequested(asset_id="a1"),
                producer="test",
            )
        )
    await asyncio.wait_for(done.wait(), 15)
    await runner.stop(5)
    await server.stop(1)

    by_name = {span.name: span for span in spans.get_finished_spans()}
    consumer = by_name["transcription.requested process"]
    grpc_server = by_name["/grpc.health.v1.Health/Check"]
    root_context = root.get_span_context()
    assert consumer.context.trace_id == grpc_server.context.trace_id == root_context.trace_id
    assert consumer.parent is not None
    assert consumer.parent.span_id == root_context.span_id
    assert grpc_server.parent is not None
    assert grpc_server.parent.span_id == consumer.context.span_id
    assert consumer.kind == trace.SpanKind.CONSUMER
    assert grpc_server.kind == trace.SpanKind.SERVER
