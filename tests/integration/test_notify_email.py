"""Job emails over SMTP to a local aiosmtpd server; a failing endpoint disabled and its tenant told."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import WITH_NOTIFY, Platform
from support import free_port, wait_for
from test_webhooks import RECEIVER_HOST, announce, create_webhook, only_delivery

from reelforge.events.v1.jobs_pb2 import JobFailed
from reelforge.events.v1.transcription_pb2 import TranscriptionCompleted
from reelforge_common.bus import Bus
from reelforge_devstack.webhook_receiver import Reply, WebhookReceiver

SMTP_PORT = free_port()
SMTP = {"smtp_host": "127.0.0.1", "smtp_port": SMTP_PORT, "smtp_security": "none"}
WITH_EMAIL = pytest.mark.parametrize(
    "platform",
    [{"notify": {**SMTP, "public_api_url": "https://api.example.com", "time_scale": 0.0001}}],
    indirect=True,
)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


async def turn_email_on(platform: Platform, auth: dict[str, str], **settings: Any) -> dict[str, Any]:
    body = {"address": "ops@acme.example", "enabled": True, **settings}
    response = await platform.api.put("/v1/notifications/email", json=body, headers=auth)
    assert response.status_code == 200, response.text
    saved: dict[str, Any] = response.json()
    return saved


@WITH_EMAIL
async def test_a_finished_job_emails_the_tenant_that_opted_in(platform: Platform, bus: Bus, mailbox: Mailbox) -> None:
    tenant, auth = await platform.tenant("acme")
    other, _ = await platform.tenant("globex")  # never opted in
    assert (await platform.api.get("/v1/notifications/email", headers=auth)).json()["enabled"] is False
    saved = await turn_email_on(platform, auth, event_types=["job.failed"])
    assert (saved["address"], saved["event_types"], saved["enabled"]) == ("ops@acme.example", ["job.failed"], True)

    await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())  # not asked for
    await announce(bus, other, "pose.failed", JobFailed(code="no_video", message="audio only"))
    job_id = await announce(bus, tenant, "pose.failed", JobFailed(code="no_video", message="audio only", stage="x"))

    async def arrived() -> bool:
        return bool(mailbox.messages)

    await wait_for(arrived, what="the email")
    await asyncio.sleep(0.5)
    [email] = mailbox.messages
    assert email["To"] == "ops@acme.example"
    assert email["Subject"] == f"Your pose job {job_id} failed"
    text = email.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Reason (no_video): audio only" in text
    assert f"https://api.example.com/v1/jobs/{job_id}" in text


@pytest.mark.parametrize("platform", [WITH_NOTIFY], indirect=True)
async def test_email_cannot_be_turned_on_without_an_smtp_server(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    body = {"address": "ops@acme.example", "enabled": True}
    response = await platform.api.put("/v1/notifications/email", json=body, headers=auth)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "email_not_configured"


@WITH_EMAIL
async def test_addresses_are_checked(platform: Platform, mailbox: Mailbox) -> None:
    _, auth = await platform.tenant("acme")
    for body in ({"address": "not-an-address", "enabled": True}, {"address": "", "enabled": True}):
        response = await platform.api.put("/v1/notifications/email", json=body, headers=auth)
        assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "platform",
    # Every delivery failing for 1 s (5 days on a clock running 432 000 times fast) disables the endpoint.
    [{"notify": {**SMTP, "time_scale": 0.0001, "disable_failing_after_s": 10_000}}],
    indirect=True,
)
async def test_an_endpoint_failing_for_days_is_disabled_and_the_tenant_told(
    platform: Platform, bus: Bus, mailbox: Mailbox
) -> None:
    tenant, auth = await platform.tenant("acme")
    await turn_email_on(platform, auth, event_types=["job.succeeded"], job_kinds=["clipjob"])
    async with WebhookReceiver(RECEIVER_HOST, default=Reply(503)) as receiver:
        webhook = await create_webhook(platform, auth, receiver.url)
        await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
        delivery = await only_delivery(platform, auth, webhook["id"], "failed")
    endpoint = (await platform.api.get(f"/v1/webhooks/{webhook['id']}", headers=auth)).json()
    assert (endpoint["enabled"], endpoint["disabled_reason"]) == (False, "failing")
    assert endpoint["failing_since"] is not None
    assert 2 <= delivery["attempts"] < 8  # disabled before the schedule ran out

    async def told() -> bool:
        return bool(mailbox.messages)

    await wait_for(told, what="the endpoint-disabled email")
    await asyncio.sleep(0.5)
    assert [m["Subject"] for m in mailbox.messages] == [f"Webhook endpoint {webhook['url']} was disabled"]
    [email] = mailbox.messages  # the completed transcription sends none: clip jobs only
    assert email["Subject"] == f"Webhook endpoint {webhook['url']} was disabled"

    revived = await platform.api.patch(f"/v1/webhooks/{webhook['id']}", json={"enabled": True}, headers=auth)
    assert revived.json()["enabled"] is True
    assert revived.json()["failing_since"] is None
    assert revived.json()["disabled_reason"] is None
