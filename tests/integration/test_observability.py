"""What operators watch: each service's metrics match the documented list, and
a clip job is one trace across every service it touched."""

from __future__ import annotations

import re

import httpx
import pytest
from conftest import WITH_EVERYTHING, Platform
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from support import wait_for
from test_clips import finished, start
from test_imports import MEDIA_HOST, media_server

from reelforge_common.telemetry import SERVICE_ATTRIBUTE

pytestmark = pytest.mark.parametrize("platform", [WITH_EVERYTHING], indirect=True)

SERVICES = ("gateway", "ingest", "transcription", "pose", "render", "notify", "aigen")


def exposed_metrics(exposition: str) -> set[str]:
    return set(re.findall(r"^# TYPE (\S+) \S+$", exposition, flags=re.MULTILINE))


async def test_every_service_exposes_exactly_the_documented_metrics(
    platform: Platform, documented_metrics: dict[str, set[str]]
) -> None:
    documented = documented_metrics
    assert set(documented) == set(SERVICES)
    assert all(documented.values()), documented
    async with httpx.AsyncClient(timeout=10) as client:
        for service in SERVICES:
            running = getattr(platform, service)
            response = await client.get(f"http://127.0.0.1:{running.http_port}/metrics")
            assert response.status_code == 200
            exposed = exposed_metrics(response.text)
            assert exposed == documented[service], (
                f"{service}: undocumented {sorted(exposed - documented[service])}, "
                f"missing {sorted(documented[service] - exposed)}"
            )


def _service_of(span: ReadableSpan) -> str:
    attributes = span.attributes or {}
    if SERVICE_ATTRIBUTE in attributes:
        return str(attributes[SERVICE_ATTRIBUTE])
    # FastAPI's own server spans: only the gateway serves a traced FastAPI app.
    return "gateway" if span.instrumentation_scope and span.instrumentation_scope.name == "fastapi" else ""


async def test_a_clip_job_from_a_url_is_one_trace_through_every_service(
    platform: Platform, spans: InMemorySpanExporter
) -> None:
    _tenant, auth = await platform.tenant("acme")
    with trace.get_tracer("partner").start_as_current_span("partner asks for clips") as root:
        context = root.get_span_context()
        traceparent = f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
    async with media_server() as port:
        job = await start(
            platform,
            {**auth, "traceparent": traceparent},
            source_url=f"http://{MEDIA_HOST}:{port}/talk.mp4",
            count=1,
            min_duration=5,
            max_duration=15,
        )
        job = await finished(platform, auth, job)
    assert job["status"] == "succeeded", job

    def in_trace() -> list[ReadableSpan]:
        return [s for s in spans.get_finished_spans() if s.context and s.context.trace_id == context.trace_id]

    async def notify_saw_the_end() -> bool:
        return any(_service_of(s) == "notify" and "job.changed" in s.name for s in in_trace())

    await wait_for(notify_saw_the_end, timeout_s=30, what="notify to consume the job's job.changed")
    touched = {_service_of(span) for span in in_trace()}
    assert set(SERVICES) <= touched, touched
    names = {span.name for span in in_trace()}
    assert {"POST /v1/clip-jobs", "asset.requested process", "transcription.requested process"} <= names
    assert "pose.requested process" in names
    assert "clipjob.ready process" in names
    # Every span of the trace hangs from the partner's span: no orphaned roots.
    by_id = {span.context.span_id: span for span in in_trace() if span.context}
    for span in in_trace():
        if span.context and span.context.span_id == context.span_id:
            continue
        parent = span.parent
        assert parent is not None, span.name
        assert parent.span_id == context.span_id or parent.span_id in by_id, span.name
