"""Tracing and metrics, wired once by the service runner.

Trace context travels as W3C ``traceparent``/``tracestate`` in HTTP headers,
gRPC metadata, NATS headers and the event envelope, so one request yields one trace across
every hop. Metrics are named ``reelforge_<service>_<thing>_<unit>``
and live in a per-service registry exposed at ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

_C = TypeVar("_C", Counter, Gauge, Histogram)


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


class TracingMiddleware:
    """ASGI middleware: a server span per HTTP request, continuing the
    caller's ``traceparent`` when it sends one."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._tracer = trace.get_tracer("reelforge.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        name = f"{scope['method']} {scope['path']}"
        with self._tracer.start_as_current_span(name, context=extract_context(headers), kind=trace.SpanKind.SERVER):
            await self._app(scope, receive, send)
