"""``reelforge webhooks`` and ``reelforge email`` against a fake API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_cli import Fake, cli_env, problem, run

CREATED = "2026-12-03T12:00:00Z"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    return cli_env(tmp_path)


def webhook_json(**extra: Any) -> dict[str, Any]:
    return {
        "id": "ep_1",
        "url": "https://hooks.example.com/reelforge",
        "description": "",
        "event_types": [],
        "job_kinds": [],
        "enabled": True,
        "disabled_reason": None,
        "failing_since": None,
        "created_at": CREATED,
        "updated_at": CREATED,
        **extra,
    }


def delivery_json(**extra: Any) -> dict[str, Any]:
    return {
        "id": "dlv_1",
        "webhook_id": "ep_1",
        "message_id": "msg_e1",
        "event_type": "job.succeeded",
        "status": "failed",
        "attempts": 8,
        "next_attempt_at": None,
        "last_status_code": 500,
        "last_error": "HTTP 500",
        "created_at": CREATED,
        "updated_at": CREATED,
        **extra,
    }


def test_create_sends_the_filters_and_shows_the_secret_once(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(201, json=webhook_json(event_types=["job.failed"], secret="whsec_abc")))
    args = ["webhooks", "create", "https://hooks.example.com/reelforge", "--event", "job.failed", "--kind", "clipjob"]

    result = run(fake, args, env)

    assert result.exit_code == 0, result.output
    assert json.loads(fake.requests[0].content) == {
        "url": "https://hooks.example.com/reelforge",
        "event_types": ["job.failed"],
        "job_kinds": ["clipjob"],
    }
    assert "whsec_abc" in result.stdout
    assert "shown only once" in result.stdout


def test_an_unknown_event_type_is_a_usage_error(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(201, json=webhook_json()))

    result = run(fake, ["webhooks", "create", "https://x.example", "--event", "job.done"], env)

    assert result.exit_code == 2
    assert fake.requests == []


def test_a_refused_url_is_one_error_line(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: problem(422, "url_forbidden", "127.0.0.1 may not be reached"))

    result = run(fake, ["webhooks", "create", "http://127.0.0.1/hook"], env)

    assert result.exit_code == 1
    assert result.stderr.strip() == "error: url_forbidden: 127.0.0.1 may not be reached (HTTP 422)"


def test_deliveries_lists_status_attempts_and_the_last_answer(env: dict[str, str | None]) -> None:
    page = {"items": [delivery_json()], "next_cursor": "c2"}
    fake = Fake(lambda _: httpx.Response(200, json=page))

    result = run(fake, ["webhooks", "deliveries", "ep_1", "--status", "failed"], env)

    assert result.exit_code == 0, result.output
    assert fake.requests[0].url.path == "/v1/webhooks/ep_1/deliveries"
    assert fake.requests[0].url.params["status"] == "failed"
    assert "dlv_1" in result.stdout
    assert "500" in result.stdout
    assert "--cursor c2" in result.stdout


def test_delivery_shows_every_attempt(env: dict[str, str | None]) -> None:
    attempts = [
        {"attempt": 1, "started_at": CREATED, "status_code": 500, "latency_ms": 12.0, "error": "HTTP 500"},
        {"attempt": 2, "started_at": CREATED, "status_code": None, "latency_ms": 15000.0, "error": "no answer"},
    ]
    detail = delivery_json(payload="{}", attempt_log=attempts)

    result = run(Fake(lambda _: httpx.Response(200, json=detail)), ["webhooks", "delivery", "ep_1", "dlv_1"], env)

    assert result.exit_code == 0, result.output
    assert "15000 ms" in result.stdout
    assert "no answer" in result.stdout


def test_replay_one_delivery_or_every_failure_since_a_time(env: dict[str, str | None]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/deliveries/dlv_1/replay"):
            return httpx.Response(202, json=delivery_json(status="pending", attempts=8))
        return httpx.Response(202, json={"replayed": 3})

    fake = Fake(handler)
    one = run(fake, ["webhooks", "replay", "ep_1", "dlv_1", "--json"], env)
    since = run(fake, ["webhooks", "replay", "ep_1", "--since", "2026-12-01T00:00:00", "--json"], env)
    both = run(fake, ["webhooks", "replay", "ep_1", "dlv_1", "--since", "2026-12-01T00:00:00"], env)
    neither = run(fake, ["webhooks", "replay", "ep_1"], env)

    assert json.loads(one.stdout)["status"] == "pending"
    assert json.loads(since.stdout) == {"replayed": 3}
    assert json.loads(fake.requests[1].content) == {"since": "2026-12-01T00:00:00"}
    assert (both.exit_code, neither.exit_code) == (2, 2)
    assert [r.url.path for r in fake.requests] == [
        "/v1/webhooks/ep_1/deliveries/dlv_1/replay",
        "/v1/webhooks/ep_1/replay",
    ]


def test_update_sends_only_what_changes(env: dict[str, str | None]) -> None:
    fake = Fake(lambda _: httpx.Response(200, json=webhook_json()))

    result = run(fake, ["webhooks", "update", "ep_1", "--enable", "--event", "job.succeeded"], env)

    assert result.exit_code == 0, result.output
    assert fake.requests[0].method == "PATCH"
    assert json.loads(fake.requests[0].content) == {"event_types": ["job.succeeded"], "enabled": True}


def test_email_shows_the_settings_and_changes_only_what_is_given(env: dict[str, str | None]) -> None:
    current = {"address": "ops@acme.example", "event_types": [], "job_kinds": [], "enabled": False}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return httpx.Response(200, json=json.loads(request.content))
        return httpx.Response(200, json=current)

    fake = Fake(handler)
    shown = run(fake, ["email"], env)
    changed = run(fake, ["email", "--on", "--event", "job.failed", "--json"], env)

    assert shown.exit_code == 0, shown.output
    assert "off" in shown.stdout
    assert json.loads(changed.stdout) == {
        "address": "ops@acme.example",
        "enabled": True,
        "event_types": ["job.failed"],
        "job_kinds": [],
    }
    assert [r.method for r in fake.requests] == ["GET", "GET", "PUT"]
