"""The notify service killed mid-delivery, again and again: no message is
lost, and the duplicate a receiver may see carries the same webhook-id."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import Platform
from figures import full_suite, record, runs
from support import free_port, wait_for
from test_webhooks import RECEIVER_HOST, announce
from workers import WorkerProcess

from reelforge.events.v1.transcription_pb2 import TranscriptionCompleted
from reelforge_common.bus import Bus
from reelforge_devstack.webhook_receiver import Reply, WebhookReceiver

PORT = free_port()
KILLS = runs(full=20, fast=1)

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.timeout(1800 if full_suite() else 300),
    pytest.mark.parametrize("platform", [{"external": {"notify": f"127.0.0.1:{PORT}"}}], indirect=True),
]


async def test_deliveries_survive_notify_being_killed_mid_delivery(
    platform: Platform, bus: Bus, child_env: dict[str, str], uid: str, tmp_path: Path
) -> None:
    tenant, auth = await platform.tenant("acme")
    notify = WorkerProcess(
        "notify",
        PORT,
        child_env,
        uid,
        tmp_path,
        webhook_allow_networks=[f"{RECEIVER_HOST}/32"],
        # A claimed delivery whose replica died is tried again after 3 s.
        delivery_timeout_s=2,
        delivery_lease_s=3,
    )
    started_at = time.monotonic()
    await notify.start()
    try:
        async with WebhookReceiver(RECEIVER_HOST) as receiver:
            webhook: dict[str, str] = {}

            async def created() -> bool:
                nonlocal webhook
                response = await platform.api.post("/v1/webhooks", json={"url": receiver.url}, headers=auth)
                webhook = response.json()
                return response.status_code == 201

            await wait_for(created, timeout_s=60, what="notify to start")
            for _ in range(KILLS):
                receiver.replies = [Reply(hang=True)]  # this round's first attempt never gets an answer
                seen = len(receiver.received)
                await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
                await receiver.wait_for(seen + 1)
                await notify.kill()  # mid-delivery: the request is in flight
                # Announced while notify is down: waits in JetStream.
                await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
                await notify.start()
                await receiver.wait_for(seen + 3, timeout_s=60)
            await asyncio.sleep(1.0)
            ids = [request.headers["webhook-id"] for request in receiver.received]
            killed = [ids[i] for i in range(0, len(ids), 3)]
            logged = [await only_delivery_of(platform, auth, webhook["id"], message) for message in killed]
    finally:
        await notify.stop()
    counts = Counter(ids)
    # Each killed delivery arrives again with its id, and the message announced meanwhile arrives too.
    exact = sum(counts[message] == 2 for message in killed)
    record(
        "chaos",
        "notify SIGKILL mid-delivery",
        KILLS,
        exact,
        f"{len(counts)}/{2 * KILLS} messages delivered, {exact} killed deliveries retried under the same "
        f"webhook-id, {sum(n > 2 for n in counts.values())} delivered more than twice "
        f"({time.monotonic() - started_at:.0f} s)",
    )
    assert sorted(counts.values()) == [1] * KILLS + [2] * KILLS
    assert exact == KILLS
    for message in killed:
        bodies = {r.body for r in receiver.received if r.headers["webhook-id"] == message}
        assert len(bodies) == 1
    for delivery in logged:
        assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)
        assert [a["status_code"] for a in delivery["attempt_log"]] == [204]  # the killed attempt left no answer


async def only_delivery_of(
    platform: Platform, auth: dict[str, str], webhook_id: str, message_id: str
) -> dict[str, Any]:
    path = f"/v1/webhooks/{webhook_id}/deliveries?limit=100"  # a full loop makes 40
    listed = (await platform.api.get(path, headers=auth)).json()["items"]
    [delivery] = [d for d in listed if d["message_id"] == message_id]
    response = await platform.api.get(f"/v1/webhooks/{webhook_id}/deliveries/{delivery['id']}", headers=auth)
    found: dict[str, Any] = response.json()
    return found
