"""The SDK's webhook calls against a fake API, and verify_webhook for receivers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import WebhookVerificationError
from test_cli_webhooks import delivery_json, webhook_json
from test_sdk import API, TOKEN, async_client, client

from reelforge_notify.signing import new_secret, webhook_headers
from reelforge_sdk import verify_webhook


def test_verify_webhook_returns_the_message_of_a_good_signature_only() -> None:
    secret, body = new_secret(), '{"type":"job.succeeded","timestamp":"2026-12-03T12:00:00Z","data":{}}'
    headers = {
        k.decode(): v.decode()
        for k, v in webhook_headers([secret], message_id="msg_1", at=datetime.now(UTC), body=body)
    }

    assert verify_webhook(body.encode(), headers, secret)["type"] == "job.succeeded"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body.replace("succeeded", "failed"), headers, secret)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, new_secret())


def test_webhook_calls_hit_their_routes() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path.endswith("/deliveries"):
            return httpx.Response(200, json={"items": [delivery_json()], "next_cursor": None})
        if request.url.path.endswith("/replay"):
            return httpx.Response(202, json={"replayed": 2})
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(200, json=webhook_json(secret="whsec_x"))

    with client(handler) as c:
        created = c.create_webhook("https://hooks.example.com", event_types=["job.failed"])
        page = c.list_deliveries("ep_1", status="failed")
        replayed = c.replay_failed("ep_1", datetime(2026, 12, 1, tzinfo=UTC))
        c.update_webhook("ep_1", enabled=False)
        c.delete_webhook("ep_1")
    assert created.secret == "whsec_x"
    assert created.event_types == ()  # as the fake answered
    assert page.items[0].attempts == 8
    assert page.items[0].last_status_code == 500
    assert replayed == 2
    assert [(r.method, r.url.path) for r in sent] == [
        ("POST", "/v1/webhooks"),
        ("GET", "/v1/webhooks/ep_1/deliveries"),
        ("POST", "/v1/webhooks/ep_1/replay"),
        ("PATCH", "/v1/webhooks/ep_1"),
        ("DELETE", "/v1/webhooks/ep_1"),
    ]
    assert json.loads(sent[0].content)["event_types"] == ["job.failed"]
    assert json.loads(sent[2].content) == {"since": "2026-12-01T00:00:00+00:00"}
    assert json.loads(sent[3].content) == {"enabled": False}
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in sent)
    assert str(sent[0].url).startswith(API)


async def test_the_async_client_reads_a_delivery_with_its_attempts() -> None:
    attempts = [
        {"attempt": 1, "started_at": "2026-12-03T12:00:00Z", "status_code": 410, "latency_ms": 3.5, "error": "HTTP 410"}
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=delivery_json(payload="{}", attempt_log=attempts))

    async with async_client(handler) as c:
        delivery = await c.get_delivery("ep_1", "dlv_1")
    assert delivery.payload == "{}"
    assert [(a.attempt, a.status_code) for a in delivery.attempt_log] == [(1, 410)]
