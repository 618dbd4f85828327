"""Tracing and metrics, wired once by the service runner.

Trace context travels as W3C ``traceparent``/``tracestate`` in HTTP headers,
gRPC metadata, NATS headers and the event envelope, so one request yields one trace across
every hop. Metrics are named ``reelforge_<service>_<thing>_<unit>``
and live in a per-service registry exposed at ``/metrics``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_C = TypeVar("_C", Counter, Gauge, Histogram)

# Span attribute naming the Reelforge service that made a gRPC or consumer
# span; in one process hosting several services (tests) the resource cannot
# tell them apart.
SERVICE_ATTRIBUTE = "reelforge.service"


def configure_tracing(service: str, exporter: str, otlp_endpoint: str) -> None:
    """Install the process-wide tracer provider (once; later calls keep the first).

    With no exporter, spans are not recorded at all: the API's non-recording
    spans still carry an incoming trace id into logs and onward hops, at a
    fraction of the cost of building spans nobody will read.
    """
    if exporter == "none" or isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"reelforge-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(otlp_endpoint)))
    trace.set_tracer_provider(provider)


def _otlp_exporter(endpoint: str) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))


def inject_context() -> dict[str, str]:
    """The current trace context as a carrier (``traceparent``, ``tracestate``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(carrier: Mapping[str, str]) -> otel_context.Context:
    """A context whose parent is the span described by ``carrier``."""
    return propagate.extract(dict(carrier))


class Metrics:
    """Factory for one service's metrics, in that service's own registry.

    Asking twice for the same name returns the same collector, so every
    consumer runner of a service can share, say, ``bus_messages_total``.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self._made: dict[str, Counter | Gauge | Histogram] = {}
        # One `_created` gauge per counter and histogram doubles the series
        # for nothing a dashboard uses.
        disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus-client
        ProcessCollector(namespace=f"reelforge_{service}", registry=self.registry)

    def _get(self, kind: type[_C], thing: str, make: Callable[[str], _C]) -> _C:
        name = f"reelforge_{self.service}_{thing}"
        existing = self._made.get(name)
        if existing is None:
            existing = self._made[name] = make(name)
        if not isinstance(existing, kind):
            raise TypeError(f"metric {name} already exists as a {type(existing).__name__}")
        return existing

    def counter(self, thing: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        return self._get(Counter, thing, lambda name: Counter(name, doc, labels, registry=self.registry))

    def gauge(self, thing: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        return self._get(Gauge, thing, lambda name: Gauge(name, doc, labels, registry=self.registry))

    def histogram(
        self, thing: str, doc: str, labels: Sequence[str] = (), buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS
    ) -> Histogram:
        return self._get(
            Histogram, thing, lambda name: Histogram(name, doc, labels, registry=self.registry, buckets=buckets)
        )


class HttpMetricsMiddleware:
    """ASGI middleware for a public HTTP API: request counts and latency
    labelled by route template (``/v1/jobs/{job_id}``, never the raw path).

    Spans come from FastAPI itself, which opens a server span per request
    under the caller's ``traceparent``.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self._app = app
        self._requests = metrics.counter(
            "http_requests_total", "HTTP requests by route and status.", ["method", "route", "status"]
        )
        self._latency = metrics.histogram(
            "http_request_duration_seconds",
            "HTTP handling time by route (streaming routes: the stream's lifetime).",
            ["method", "route"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self._app(scope, receive, send_recording_status)
        finally:
            # Set by the router once a route matched.
            route = getattr(scope.get("route"), "path", "unmatched")
            self._requests.labels(scope["method"], route, str(status)).inc()
            self._latency.labels(scope["method"], route).observe(time.perf_counter() - started)
