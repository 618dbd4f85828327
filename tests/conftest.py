"""Shared test set-up: an in-memory span exporter installed before anything
configures tracing, so tests can read the spans the code emits; the metric
names docs/metrics.md promises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_EXPORTER = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
trace.set_tracer_provider(_provider)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


_METRICS_DOC = Path(__file__).parents[1] / "docs" / "metrics.md"
_SERVICES = ("gateway", "ingest", "transcription", "pose", "render", "notify", "aigen")


@pytest.fixture(scope="session")
def documented_metrics() -> dict[str, set[str]]:
    """Metric names per service, from the tables of docs/metrics.md (a
    ``<service>`` row stands for every service)."""
    names = re.findall(r"^\| `(reelforge_[a-z0-9_<>]+)` \|", _METRICS_DOC.read_text(), flags=re.MULTILINE)
    documented: dict[str, set[str]] = {service: set() for service in _SERVICES}
    for name in names:
        for service in _SERVICES if "<service>" in name else [name.split("_")[1]]:
            documented[service].add(name.replace("<service>", service))
    return documented
