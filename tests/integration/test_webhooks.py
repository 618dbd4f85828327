"""Signed webhooks through the real stack: endpoints via the API, job events
from JetStream, deliveries to a receiver on 127.0.0.2, the retry schedule on
a scaled clock, 410, replays and secret rotation."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from typing import Any

import pytest
from conftest import WITH_NOTIFY, Platform
from media_corpus import LECTURE
from standardwebhooks import Webhook, WebhookVerificationError
from support import wait_for
from test_assets import upload

from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge.events.v1.transcription_pb2 import TranscriptionCompleted
from reelforge_common.bus import Bus, new_envelope
from reelforge_devstack.webhook_receiver import Received, Reply, WebhookReceiver
from reelforge_notify.config import RETRY_DELAYS_S

RECEIVER_HOST = "127.0.0.2"  # allowed by the platform's notify; 127.0.0.1 stays forbidden
# Scaled clocks: the default schedule (5 s ... 10 h, about 27 h in all) in about 10 s.
SCALE = 0.0001
FAST = pytest.mark.parametrize("platform", [{"notify": {"time_scale": SCALE}}], indirect=True)
SLOWER = pytest.mark.parametrize("platform", [{"notify": {"time_scale": 0.0002}}], indirect=True)


async def create_webhook(platform: Platform, auth: dict[str, str], url: str, **fields: Any) -> dict[str, Any]:
    response = await platform.api.post("/v1/webhooks", json={"url": url, **fields}, headers=auth)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def announce(bus: Bus, tenant_id: str, event_type: str, payload: Any, job_id: str | None = None) -> str:
    """Publish a job event as the service that owns the job would; returns the job id."""
    job_id = job_id or f"job-{uuid.uuid4().hex[:8]}"
    envelope = new_envelope(
        event_type=event_type, tenant_id=tenant_id, payload=payload, producer="test", correlation_id=job_id
    )
    await bus.publish(envelope)
    return job_id


def body_of(request: Received) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(request.body)
    return parsed


async def deliveries(platform: Platform, auth: dict[str, str], webhook_id: str, **query: str) -> list[dict[str, Any]]:
    response = await platform.api.get(f"/v1/webhooks/{webhook_id}/deliveries", params=query, headers=auth)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def wait_for_deliveries(
    platform: Platform, auth: dict[str, str], webhook_id: str, status: str, count: int
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def enough() -> bool:
        nonlocal found
        found = await deliveries(platform, auth, webhook_id, status=status)
        return len(found) >= count

    await wait_for(enough, timeout_s=30, what=f"{count} {status} deliveries")
    return found


async def only_delivery(platform: Platform, auth: dict[str, str], webhook_id: str, status: str) -> dict[str, Any]:
    """The endpoint's one delivery, once it has reached ``status``, with its attempt log."""
    found: list[dict[str, Any]] = []

    async def reached() -> bool:
        nonlocal found
        found = await deliveries(platform, auth, webhook_id)
        return len(found) == 1 and found[0]["status"] == status

    await wait_for(reached, timeout_s=30, what=f"the delivery to be {status}")
    detail = await platform.api.get(f"/v1/webhooks/{webhook_id}/deliveries/{found[0]['id']}", headers=auth)
    assert detail.status_code == 200, detail.text
    result: dict[str, Any] = detail.json()
    return result


@pytest.mark.parametrize("platform", [WITH_NOTIFY], indirect=True)
async def test_an_uploaded_assets_ingest_job_is_delivered_signed(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    async with WebhookReceiver(RECEIVER_HOST) as receiver:
        webhook = await create_webhook(platform, auth, receiver.url + "/hooks", description="ci")
        assert webhook["secret"].startswith("whsec_")
        assert (webhook["enabled"], webhook["event_types"], webhook["disabled_reason"]) == (True, [], None)
        listed = (await platform.api.get("/v1/webhooks", headers=auth)).json()
        assert [item["id"] for item in listed["items"]] == [webhook["id"]]
        assert "secret" not in listed["items"][0]

        asset = (await upload(platform, auth, LECTURE)).json()

        def types() -> list[str]:
            return [body_of(r)["type"] for r in receiver.received]

        async def succeeded() -> bool:
            return "job.succeeded" in types()

        async def all_logged_arrived() -> bool:
            # Deliveries run concurrently: one may still be on its way after job.succeeded.
            logged = await deliveries(platform, auth, webhook["id"])
            return len(logged) == len(receiver.received) and {d["status"] for d in logged} == {"succeeded"}

        await wait_for(succeeded, timeout_s=60, what="job.succeeded")
        await wait_for(all_logged_arrived, timeout_s=30, what="every logged delivery to arrive")
    verifier = Webhook(webhook["secret"])
    for request in receiver.received:
        assert request.method == "POST"
        assert request.path == "/hooks"
        verifier.verify(request.body, request.headers)  # raises if any signature is wrong
    data = [body_of(r)["data"] for r in receiver.received]
    assert {d["kind"] for d in data} == {"ingest"}
    assert {d["resource_id"] for d in data if d["resource_id"]} <= {asset["id"]}
    in_order = sorted(data, key=lambda d: int(d["version"]))  # the order a receiver restores
    assert (in_order[0]["status"], in_order[-1]["status"]) == ("queued", "succeeded")
    assert "job.progress" in types()
    assert len({r.headers["webhook-id"] for r in receiver.received}) == len(receiver.received)
    logged = await deliveries(platform, auth, webhook["id"])
    assert len(logged) == len(receiver.received)
    assert {d["status"] for d in logged} == {"succeeded"}
    assert await deliveries(platform, auth, webhook["id"], status="failed") == []


@pytest.mark.parametrize("platform", [WITH_NOTIFY], indirect=True)
@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:9/hook", "url_forbidden"),
        ("http://[::1]/hook", "url_forbidden"),
        ("http://169.254.169.254/latest/meta-data", "url_forbidden"),
        ("http://2130706433/hook", "url_forbidden"),  # 127.0.0.1 as a decimal number
        ("http://localhost/hook", "url_forbidden"),
        ("ftp://example.com/hook", "validation_failed"),
        ("http://no-such-host.invalid/hook", "url_unresolvable"),
        ("not a url", "validation_failed"),
        ("http://" + "a" * 64 + ".example/hook", "url_unresolvable"),
    ],
)
async def test_targets_deliveries_may_not_reach_are_refused(platform: Platform, url: str, code: str) -> None:
    _, auth = await platform.tenant("acme")
    response = await platform.api.post("/v1/webhooks", json={"url": url}, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert (await platform.api.get("/v1/webhooks", headers=auth)).json()["items"] == []


@pytest.mark.parametrize("platform", [WITH_NOTIFY], indirect=True)
async def test_another_tenants_endpoint_is_not_found(platform: Platform) -> None:
    _, acme = await platform.tenant("acme")
    _, globex = await platform.tenant("globex")
    webhook = await create_webhook(platform, acme, f"http://{RECEIVER_HOST}:9/hook")
    base = f"/v1/webhooks/{webhook['id']}"
    calls = [
        platform.api.get(base, headers=globex),
        platform.api.patch(base, json={"description": "mine"}, headers=globex),
        platform.api.delete(base, headers=globex),
        platform.api.post(f"{base}/rotate-secret", headers=globex),
        platform.api.post(f"{base}/test", headers=globex),
        platform.api.get(f"{base}/deliveries", headers=globex),
        platform.api.post(f"{base}/replay", json={"since": "2026-01-01T00:00:00Z"}, headers=globex),
    ]
    for response in await asyncio.gather(*calls):
        assert response.status_code == 404, response.text
    assert (await platform.api.get("/v1/webhooks", headers=globex)).json()["items"] == []
    assert (await platform.api.get(base, headers=acme)).json()["description"] == ""


@FAST
async def test_a_receiver_answering_500_then_200_gets_one_success_in_two_attempts(platform: Platform, bus: Bus) -> None:
    tenant, auth = await platform.tenant("acme")
    async with WebhookReceiver(RECEIVER_HOST) as receiver:
        receiver.replies = [Reply(500)]
        webhook = await create_webhook(platform, auth, receiver.url, event_types=["job.succeeded"])
        await announce(bus, tenant, "transcription.progress", JobProgress(stage="x", fraction=0.5))  # filtered out
        job_id = await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
        delivery = await only_delivery(platform, auth, webhook["id"], "succeeded")
        await asyncio.sleep(0.5)  # nothing more arrives
    assert len(receiver.received) == 2
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery["message_id"]
    assert first.body == second.body == delivery["payload"].encode()
    assert body_of(second)["data"]["job_id"] == job_id
    assert delivery["attempts"] == 2
    assert [(a["attempt"], a["status_code"]) for a in delivery["attempt_log"]] == [(1, 500), (2, 204)]
    assert delivery["attempt_log"][0]["error"] == "HTTP 500"
    assert all(a["latency_ms"] > 0 for a in delivery["attempt_log"])


@FAST
async def test_410_gone_disables_the_endpoint(platform: Platform, bus: Bus) -> None:
    tenant, auth = await platform.tenant("acme")
    async with WebhookReceiver(RECEIVER_HOST, default=Reply(410)) as receiver:
        webhook = await create_webhook(platform, auth, receiver.url)
        await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
        delivery = await only_delivery(platform, auth, webhook["id"], "failed")
        endpoint = (await platform.api.get(f"/v1/webhooks/{webhook['id']}", headers=auth)).json()
        assert (endpoint["enabled"], endpoint["disabled_reason"]) == (False, "gone")
        await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
        await asyncio.sleep(1.0)
    assert len(receiver.received) == 1  # the second job went nowhere: the endpoint is off
    assert delivery["attempts"] == 1
    assert len(await deliveries(platform, auth, webhook["id"])) == 1


@FAST
async def test_the_retry_schedule_holds_under_a_scaled_clock(platform: Platform, bus: Bus) -> None:
    tenant, auth = await platform.tenant("acme")
    async with WebhookReceiver(RECEIVER_HOST, default=Reply(500)) as receiver:
        webhook = await create_webhook(platform, auth, receiver.url)
        await announce(bus, tenant, "pose.failed", JobFailed(code="no_video", message="audio only"))
        delivery = await only_delivery(platform, auth, webhook["id"], "failed")
        await asyncio.sleep(0.5)
    arrivals = [r.at for r in receiver.received]
    assert len(arrivals) == len(RETRY_DELAYS_S) + 1 == delivery["attempts"] == 8
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    for gap, delay in zip(gaps, RETRY_DELAYS_S, strict=True):
        expected = delay * SCALE
        # +-10 % jitter, plus the time a round trip and a queue poll take.
        assert expected * 0.9 - 0.01 <= gap <= expected * 1.1 + 0.5, (gaps, expected)
    assert gaps[-1] > gaps[2] * 10  # the waits really grow: 10 h against 30 min
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


@SLOWER
async def test_retry_after_is_honoured(platform: Platform, bus: Bus) -> None:
    tenant, auth = await platform.tenant("acme")
    async with WebhookReceiver(RECEIVER_HOST) as receiver:
        # 3600 s on the 0.0002 clock: 0.72 s, against the schedule's 1 ms.
        receiver.replies = [Reply(429, {"Retry-After": "3600"})]
        webhook = await create_webhook(platform, auth, receiver.url)
        await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
        delivery = await only_delivery(platform, auth, webhook["id"], "succeeded")
    first, second = receiver.received
    assert 0.72 * 0.99 <= second.at - first.at <= 0.72 + 0.5
    assert [a["status_code"] for a in delivery["attempt_log"]] == [429, 204]


@FAST
async def test_replays_deliver_failed_messages_again_with_the_same_id(platform: Platform, bus: Bus) -> None:
    tenant, auth = await platform.tenant("acme")
    async with WebhookReceiver(RECEIVER_HOST, default=Reply(500)) as receiver:
        webhook = await create_webhook(platform, auth, receiver.url)
        await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
        failed = await only_delivery(platform, auth, webhook["id"], "failed")
        receiver.default = Reply(200)
        base = f"/v1/webhooks/{webhook['id']}"
        replayed = await platform.api.post(f"{base}/deliveries/{failed['id']}/replay", headers=auth)
        assert replayed.status_code == 202, replayed.text
        await only_delivery(platform, auth, webhook["id"], "succeeded")
        assert receiver.received[-1].headers["webhook-id"] == failed["message_id"]

        receiver.default = Reply(500)
        await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
        await wait_for_deliveries(platform, auth, webhook["id"], "failed", 1)
        receiver.default = Reply(204)
        response = await platform.api.post(f"{base}/replay", json={"since": failed["created_at"]}, headers=auth)
        assert response.json() == {"replayed": 1}
        await wait_for_deliveries(platform, auth, webhook["id"], "succeeded", 2)
    assert receiver.received[-1].headers["webhook-id"] != failed["message_id"]


@pytest.mark.parametrize("platform", [{"notify": {"secret_grace_s": 1.5}}], indirect=True)
async def test_a_rotated_secret_signs_beside_the_new_one_until_its_grace_ends(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    async with WebhookReceiver(RECEIVER_HOST) as receiver:
        webhook = await create_webhook(platform, auth, receiver.url)
        rotated = await platform.api.post(f"/v1/webhooks/{webhook['id']}/rotate-secret", headers=auth)
        assert rotated.status_code == 201, rotated.text
        new = rotated.json()["secret"]
        assert new != webhook["secret"]
        assert (await platform.api.post(f"/v1/webhooks/{webhook['id']}/test", headers=auth)).status_code == 202
        [during] = await receiver.wait_for(1)
        await asyncio.sleep(1.6)
        assert (await platform.api.post(f"/v1/webhooks/{webhook['id']}/test", headers=auth)).status_code == 202
        after = (await receiver.wait_for(2))[1]
    assert body_of(during)["type"] == "webhook.test"
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (webhook["secret"], new):
        Webhook(secret).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook["secret"]).verify(after.body, after.headers)
