"""Key hygiene: a dump of the database holds no API key token, no provider
key and no webhook secret outside the notify schema that signs with it
(Idempotency-Key replays included); a revoked key is refused by the next
request on every gateway replica."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import figures
import httpx
import pytest
from conftest import OPERATOR_TOKEN, Platform
from support import free_port
from test_generations import generate

from reelforge_common.runner import RunningService
from reelforge_devstack.fakes.minimax import FakeMiniMax
from reelforge_devstack.fakes.server import serve
from reelforge_devstack.postgres import _postgres_bindir  # the stack's own PostgreSQL binaries
from reelforge_gateway.main import DEFINITION as GATEWAY

pytestmark = pytest.mark.security

MINIMAX_PORT = free_port()
PROVIDER_KEY = "sk-provider-canary-" + uuid.uuid4().hex
PROVIDERS = {"minimax_api_key": PROVIDER_KEY, "minimax_base_url": f"http://127.0.0.2:{MINIMAX_PORT}"}
HAILUO = {"provider": "minimax", "prompt": "a lighthouse at dusk", "duration": 6, "resolution": "768p"}
SERVICES = ("gateway", "ingest", "notify", "aigen")


@pytest.fixture
async def fake_minimax() -> AsyncIterator[FakeMiniMax]:
    minimax = FakeMiniMax(PROVIDER_KEY, polls_until_done=1)
    async with serve(minimax.app, port=MINIMAX_PORT):
        yield minimax


def dump(database_url: str, schema: str) -> str:
    """The schema and its rows, as pg_dump writes them."""
    pg_dump = _postgres_bindir() / "pg_dump"
    done = subprocess.run(
        [str(pg_dump), "--no-owner", "--schema", schema, database_url], check=True, capture_output=True, text=True
    )
    return done.stdout


def spellings(secret: str) -> list[str]:
    """How a secret would read in a text dump: as text, or as the hex of a bytea column."""
    return [secret, secret.encode().hex()]


async def post(platform: Platform, path: str, auth: dict[str, str], body: Any = None) -> dict[str, Any]:
    """POST as the SDK does, with an Idempotency-Key (whose response the gateway keeps)."""
    headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
    response = await platform.api.post(path, json=body, headers=headers)
    assert response.status_code in {200, 201, 202}, response.text
    found: dict[str, Any] = response.json()
    return found


@pytest.mark.parametrize("platform", [{"notify": {}, "aigen": PROVIDERS}], indirect=True)
async def test_a_database_dump_holds_no_token_no_provider_key_and_webhook_secrets_only_in_notify(
    platform: Platform, fake_minimax: FakeMiniMax, stack_env: dict[str, str]
) -> None:
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    made = await post(platform, "/v1/admin/tenants", operator, {"name": "alice"})
    platform.tenants.append(made["tenant"]["id"])
    tokens = [made["api_key"]["token"]]
    auth = {"Authorization": f"Bearer {tokens[0]}"}
    key = await post(platform, "/v1/api-keys", auth, {"name": "ci"})
    tokens.append(key["token"])
    tokens.append((await post(platform, f"/v1/api-keys/{key['id']}/rotate", auth))["token"])
    webhook = await post(platform, "/v1/webhooks", auth, {"url": "http://127.0.0.2:9/hook"})
    webhook_secrets = [webhook["secret"]]
    webhook_secrets.append((await post(platform, f"/v1/webhooks/{webhook['id']}/rotate-secret", auth))["secret"])
    assert (await generate(platform, auth, **HAILUO))["status"] == "succeeded"
    assert fake_minimax.state.calls["submit"] == 1  # the provider key was used

    schemas = {service: f"{platform.gateway.settings.database_schema.removesuffix('_gateway')}_{service}"
               for service in SERVICES}  # fmt: skip
    dumps = {service: dump(stack_env["REELFORGE_DATABASE_URL"], schema) for service, schema in schemas.items()}
    # A token's secret part is what must never be kept (its key id is public).
    secrets = {f"api key {i}": token.rsplit("_", 1)[1] for i, token in enumerate(tokens)}
    secrets["provider key"] = PROVIDER_KEY
    found = [
        f"{name} in {service}"
        for name, secret in secrets.items()
        for service, text in dumps.items()
        if any(spelling in text for spelling in spellings(secret))
    ]
    webhook_found = [
        f"webhook secret {i} in {service}"
        for i, secret in enumerate(webhook_secrets)
        for service, text in dumps.items()
        if service != "notify" and any(spelling in text for spelling in spellings(secret))
    ]
    size = sum(len(text) for text in dumps.values())
    figures.record(
        "security", "key hygiene: database dump", 1, int(not found and not webhook_found),
        f"{len(dumps)} schemas ({size // 1024} KiB) searched for {len(secrets)} secrets + "
        f"{len(webhook_secrets)} webhook secrets: {len(found) + len(webhook_found)} found",
    )  # fmt: skip
    assert found == []
    assert webhook_found == []
    # The search finds what is there: notify keeps the signing secrets it needs.
    assert all(secret in dumps["notify"] for secret in webhook_secrets)


async def first_refusal(api: httpx.AsyncClient, auth: dict[str, str], since: float) -> tuple[int, float]:
    """How many requests it took for the key to be refused, and when (seconds after ``since``)."""
    for attempt in range(1, 201):
        if (await api.get("/v1/assets", headers=auth)).status_code == 401:
            return attempt, time.perf_counter() - since
        await asyncio.sleep(0.01)
    return 0, time.perf_counter() - since


async def revoke_and_watch(
    platform: Platform, second: httpx.AsyncClient, auth: dict[str, str]
) -> tuple[tuple[int, float], tuple[int, float]]:
    """Revoke a key both replicas have just accepted; when each first refused it."""
    key = (await platform.api.post("/v1/api-keys", json={"name": "leaked"}, headers=auth)).json()
    leaked = {"Authorization": f"Bearer {key['token']}"}
    for api in (platform.api, second):
        assert (await api.get("/v1/assets", headers=leaked)).status_code == 200
    revoked = await platform.api.delete(f"/v1/api-keys/{key['id']}", headers=auth)
    since = time.perf_counter()
    assert revoked.status_code == 204, revoked.text
    same, other = await asyncio.gather(first_refusal(platform.api, leaked, since), first_refusal(second, leaked, since))
    return same, other


async def test_a_revoked_key_is_refused_by_the_next_request_on_every_replica(platform: Platform) -> None:
    _, auth = await platform.tenant("alice")
    replica = RunningService(GATEWAY, platform.gateway.settings.model_copy(update={"api_port": 0}))
    await replica.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{replica.public_port}") as second:
            tries = [await revoke_and_watch(platform, second, auth) for _ in range(figures.runs(10))]
    finally:
        await replica.stop()
    held = sum(same[0] == other[0] == 1 for same, other in tries)
    figures.record(
        "security", "revoked key refused (same gateway, second replica)", len(tries), held,
        f"first 401 after at most {max(s[1] for s, _ in tries) * 1000:.1f} ms on the same gateway, "
        f"{max(o[1] for _, o in tries) * 1000:.1f} ms on a second replica; refused by request "
        f"{max(s[0] for s, _ in tries)} / {max(o[0] for _, o in tries)} (no key cache)",
    )  # fmt: skip
    # No cache: the very next request, on either replica, is refused.
    assert [(same[0], other[0]) for same, other in tries] == [(1, 1)] * len(tries)
