import pytest
from prometheus_client import generate_latest

from reelforge_common.telemetry import Metrics


def test_metrics_are_named_for_the_service_and_shared_by_name() -> None:
    metrics = Metrics("render")
    first = metrics.counter("jobs_total", "Jobs.", ["kind"])
    second = metrics.counter("jobs_total", "Jobs.", ["kind"])
    assert first is second
    first.labels("clip").inc()
    assert b'reelforge_render_jobs_total{kind="clip"} 1.0' in generate_latest(metrics.registry)


def test_one_name_cannot_be_two_kinds_of_metric() -> None:
    metrics = Metrics("render")
    metrics.counter("queue", "Queue.")
    with pytest.raises(TypeError, match="already exists as a Counter"):
        metrics.gauge("queue", "Queue.")


def test_each_service_has_its_own_registry() -> None:
    a, b = Metrics("ingest"), Metrics("ingest")
    a.counter("x_total", "X.")
    b.counter("x_total", "X.")  # no clash: separate registries
    assert a.registry is not b.registry
