"""HTTP telemetry: the public API's metrics by route template; no spans for probes."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import generate_latest

from reelforge_common.ops_http import ops_app
from reelforge_common.telemetry import HttpMetricsMiddleware, Metrics


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/jobs/{job_id}")
    async def get_job(job_id: str) -> dict[str, str]:
        if job_id == "missing":
            raise HTTPException(404)
        return {"id": job_id}

    return app


async def test_requests_are_counted_by_route_template_and_status(spans: InMemorySpanExporter) -> None:
    metrics = Metrics("gateway")
    transport = httpx.ASGITransport(app=HttpMetricsMiddleware(_app(), metrics))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
        assert (await api.get("/v1/jobs/a1")).status_code == 200
        assert (await api.get("/v1/jobs/a2")).status_code == 200
        assert (await api.get("/v1/jobs/missing")).status_code == 404
        assert (await api.get("/nowhere/at/all")).status_code == 404

    exposed = generate_latest(metrics.registry).decode()
    assert 'reelforge_gateway_http_requests_total{method="GET",route="/v1/jobs/{job_id}",status="200"} 2.0' in exposed
    assert 'reelforge_gateway_http_requests_total{method="GET",route="/v1/jobs/{job_id}",status="404"} 1.0' in exposed
    assert 'reelforge_gateway_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in exposed
    assert (
        'reelforge_gateway_http_request_duration_seconds_count{method="GET",route="/v1/jobs/{job_id}"} 3.0' in exposed
    )
    assert "/v1/jobs/a1" not in exposed

    # One server span per request, FastAPI's own, named for the route.
    server = [span for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert [span.name for span in server].count("GET /v1/jobs/{job_id}") == 3


def test_the_ops_endpoint_makes_no_spans(spans: InMemorySpanExporter) -> None:
    app = ops_app(Metrics("render"), ready=_always_ready)
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert spans.get_finished_spans() == ()


async def _always_ready() -> bool:
    return True
