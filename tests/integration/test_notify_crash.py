"""The notify service killed mid-delivery: no message is lost, and the
duplicate a receiver may see carries the same webhook-id."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import Platform
from support import free_port, wait_for
from test_webhooks import RECEIVER_HOST, announce

from reelforge.events.v1.transcription_pb2 import TranscriptionCompleted
from reelforge_common.bus import Bus
from reelforge_devstack.webhook_receiver import Reply, WebhookReceiver

NOTIFY = str(Path(sys.executable).parent / "reelforge-notify")
PORT = free_port()

pytestmark = pytest.mark.parametrize("platform", [{"gateway": {"notify_target": f"127.0.0.1:{PORT}"}}], indirect=True)


async def start_notify(child_env: dict[str, str], uid: str) -> asyncio.subprocess.Process:
    env = {
        **child_env,
        "REELFORGE_DATABASE_SCHEMA": f"{uid}_notify",
        "REELFORGE_GRPC_PORT": str(PORT),
        "REELFORGE_WEBHOOK_ALLOW_NETWORKS": f'["{RECEIVER_HOST}/32"]',
        # A claimed delivery whose replica died is tried again after 3 s.
        "REELFORGE_DELIVERY_TIMEOUT_S": "2",
        "REELFORGE_DELIVERY_LEASE_S": "3",
    }
    return await asyncio.create_subprocess_exec(
        NOTIFY, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


async def test_a_delivery_survives_notify_being_killed(
    platform: Platform, bus: Bus, child_env: dict[str, str], uid: str
) -> None:
    tenant, auth = await platform.tenant("acme")
    first = await start_notify(child_env, uid)
    second: asyncio.subprocess.Process | None = None
    try:
        async with WebhookReceiver(RECEIVER_HOST) as receiver:
            receiver.replies = [Reply(hang=True)]  # the first attempt never gets an answer
            webhook: dict[str, str] = {}

            async def created() -> bool:
                nonlocal webhook
                response = await platform.api.post("/v1/webhooks", json={"url": receiver.url}, headers=auth)
                webhook = response.json()
                return response.status_code == 201

            await wait_for(created, timeout_s=60, what="notify to start")
            await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
            await receiver.wait_for(1)
            first.send_signal(signal.SIGKILL)  # mid-delivery: the request is in flight
            await first.wait()
            # Announced while notify is down: waits in JetStream.
            await announce(bus, tenant, "transcription.completed", TranscriptionCompleted())
            second = await start_notify(child_env, uid)
            await receiver.wait_for(3, timeout_s=60)
            await asyncio.sleep(1.0)
        ids = [request.headers["webhook-id"] for request in receiver.received]
        killed = ids[0]
        # The duplicate is recognisable by its id, and the message announced meanwhile arrived too.
        assert sorted(Counter(ids).values()) == [1, 2]
        assert ids.count(killed) == 2
        assert len({r.body for r in receiver.received if r.headers["webhook-id"] == killed}) == 1
        logged = await only_delivery_of(platform, auth, webhook["id"], killed)
        assert (logged["status"], logged["attempts"]) == ("succeeded", 2)
        assert [a["status_code"] for a in logged["attempt_log"]] == [204]  # the killed attempt left no answer
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await process.wait()


async def only_delivery_of(
    platform: Platform, auth: dict[str, str], webhook_id: str, message_id: str
) -> dict[str, Any]:
    listed = (await platform.api.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=auth)).json()["items"]
    [delivery] = [d for d in listed if d["message_id"] == message_id]
    response = await platform.api.get(f"/v1/webhooks/{webhook_id}/deliveries/{delivery['id']}", headers=auth)
    found: dict[str, Any] = response.json()
    return found
