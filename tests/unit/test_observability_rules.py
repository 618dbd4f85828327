"""The alert rules and the Grafana dashboard: valid PromQL over metrics the
services really expose (docs/metrics.md, itself checked against the running
services), and a runbook for every alert."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

ROOT = Path(__file__).parents[2]
OBSERVABILITY = ROOT / "deploy" / "k8s" / "components" / "observability"
_SERIES_SUFFIXES = ("_bucket", "_sum", "_count")


@pytest.fixture(scope="module")
def known(documented_metrics: dict[str, set[str]]) -> set[str]:
    """Every documented metric name, whichever service exposes it."""
    return set().union(*documented_metrics.values())


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((OBSERVABILITY / "alerts.yaml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_queries() -> list[str]:
    dashboard = json.loads((OBSERVABILITY / "reelforge-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def unknown_metrics(expr: str, known: set[str]) -> list[str]:
    """Metric names (plain or ``__name__=~`` patterns) in ``expr`` that match
    no documented metric."""
    unknown = []
    for pattern in re.findall(r'__name__=~"([^"]+)"', expr):
        if not any(re.fullmatch(pattern, name) for name in known):
            unknown.append(pattern)
    for name in re.findall(r"(?<![\w\"~])(reelforge_[a-z0-9_]+)", expr):
        base = next((name.removesuffix(s) for s in _SERIES_SUFFIXES if name.endswith(s)), name)
        if name not in known and base not in known:
            unknown.append(name)
    return unknown


def runbook_anchors() -> set[str]:
    headings = re.findall(r"^#+ (.+)$", (ROOT / "docs" / "operations.md").read_text(), re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["alert"])
def test_each_alert_is_valid_promql_over_documented_metrics(rule: dict[str, Any], known: set[str]) -> None:
    promql_parser.parse(rule["expr"])
    assert unknown_metrics(rule["expr"], known) == []
    assert rule["labels"]["severity"] in {"info", "warning", "critical"}
    assert rule["annotations"]["summary"]


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["alert"])
def test_each_alert_has_a_runbook(rule: dict[str, Any]) -> None:
    page, _, anchor = rule["annotations"]["runbook_url"].partition("#")
    assert page == "docs/operations.md"
    assert anchor == rule["alert"].lower()
    assert anchor in runbook_anchors()


def test_alerts_cover_what_the_operations_guide_promises() -> None:
    watched = " ".join(rule["expr"] for rule in alert_rules())
    for signal in (
        "bus_consumer_pending_messages",
        "bus_consumer_max_ack_pending_messages",
        'outcome="dead_lettered"',
        'status=~"5.."',
        "webhook_deliveries_total",
    ):
        assert signal in watched


def test_every_dashboard_query_is_valid_promql_over_documented_metrics(known: set[str]) -> None:
    queries = dashboard_queries()
    assert len(queries) >= 10
    for expr in queries:
        promql_parser.parse(expr)
        assert unknown_metrics(expr, known) == [], expr


def test_the_checker_catches_a_misspelt_metric(known: set[str]) -> None:
    assert unknown_metrics("rate(reelforge_gateway_http_request_total[5m])", known) == [
        "reelforge_gateway_http_request_total"
    ]
    assert unknown_metrics('max({__name__=~"reelforge_.+_bus_lag"})', known) == ["reelforge_.+_bus_lag"]
    assert unknown_metrics("rate(reelforge_gateway_job_duration_seconds_bucket[5m])", known) == []
