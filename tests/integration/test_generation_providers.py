"""The AI gateway's behaviour with external providers (fakes speaking
MiniMax's protocol on 127.0.0.2): budgets refuse before any spend, the cache
skips the provider, the circuit opens and recovers, fallbacks take over,
rate limits hold under concurrency, cancellation stops polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import OPERATOR_TOKEN, Platform
from support import free_port, wait_for
from test_generations import generate, generation

from reelforge_devstack.fakes import minimax as faults
from reelforge_devstack.fakes.minimax import FakeMiniMax
from reelforge_devstack.fakes.server import serve

MINIMAX_PORT = free_port()
FAKE = {"minimax_api_key": "fake-minimax-key", "minimax_base_url": f"http://127.0.0.2:{MINIMAX_PORT}"}
HAILUO = {"provider": "minimax", "prompt": "a lighthouse at dusk", "duration": 6, "resolution": "768p"}
ESTIMATE_MICROS = 282_000  # MiniMax-Hailuo-02, 6 s at 768p, by the built-in price table


def with_aigen(**settings: Any) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("platform", [{"aigen": {**FAKE, **settings}}], indirect=True)


@pytest.fixture
async def fake() -> AsyncIterator[FakeMiniMax]:
    minimax = FakeMiniMax(polls_until_done=1)
    async with serve(minimax.app, port=MINIMAX_PORT):
        yield minimax


async def set_budget(platform: Platform, tenant: str, usd: float) -> None:
    response = await platform.api.put(
        f"/v1/admin/tenants/{tenant}/budget",
        json={"monthly_usd": usd},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
    )
    assert response.status_code == 200, response.text


@with_aigen()
async def test_a_minimax_generation_is_charged_its_estimate_and_an_identical_one_is_free(
    platform: Platform, fake: FakeMiniMax
) -> None:
    _, auth = await platform.tenant("acme")
    job = await generate(platform, auth, **HAILUO)
    assert job["status"] == "succeeded", job
    made = await generation(platform, auth, job["resource_id"])
    assert (made["provider"], made["model"], made["procedural"]) == ("minimax", "MiniMax-Hailuo-02", False)
    assert made["cost"]["micros"] == made["estimate"]["micros"] == ESTIMATE_MICROS
    assert made["asset_id"]
    again = await generation(platform, auth, (await generate(platform, auth, **HAILUO))["resource_id"])
    assert (again["cached_from"], again["cost"]["micros"]) == (made["id"], 0)
    assert fake.state.calls["submit"] == 1  # the cache answered: no provider call
    spend = (await platform.api.get("/v1/spend", headers=auth)).json()
    assert spend["spent"]["micros"] == ESTIMATE_MICROS
    assert spend["default_budget"] is True


@with_aigen()
async def test_over_budget_requests_are_refused_before_any_spend(platform: Platform, fake: FakeMiniMax) -> None:
    tenant, auth = await platform.tenant("acme")
    await set_budget(platform, tenant, 0.5)
    fake.polls_until_done = 10**6  # the first stays running: its estimate is reserved
    running = (await platform.api.post("/v1/generations", json=HAILUO, headers=auth)).json()
    estimate = (await platform.api.post("/v1/generations:estimate", json={**HAILUO, "seed": 1}, headers=auth)).json()
    assert (estimate["within_budget"], estimate["reserved"]["micros"]) == (False, ESTIMATE_MICROS)
    refused = await platform.api.post("/v1/generations", json={**HAILUO, "seed": 1}, headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (402, "budget_exceeded"), refused.text
    await wait_for(lambda: _submitted(fake, 1), what="the first generation to be submitted")
    await asyncio.sleep(0.3)
    assert fake.state.calls["submit"] == 1
    # Another tenant's budget is its own.
    _, other = await platform.tenant("other")
    assert (await platform.api.post("/v1/generations", json={**HAILUO, "seed": 1}, headers=other)).status_code == 202
    cancelled = await platform.api.post(f"/v1/generations/{running['resource_id']}/cancel", headers=auth)
    assert cancelled.json()["status"] == "cancelled"


async def _submitted(fake: FakeMiniMax, count: int) -> bool:
    return fake.state.calls["submit"] >= count


@with_aigen(breaker_failures=2, breaker_cooldown_s=1.0, provider_max_attempts=1)
async def test_the_circuit_opens_on_failures_refuses_without_calling_and_recovers(
    platform: Platform, fake: FakeMiniMax
) -> None:
    _, auth = await platform.tenant("acme")
    fake.state.fail_always("submit", faults.server_error)
    for seed in range(2):
        job = await generate(platform, auth, **HAILUO, seed=seed)
        assert (job["status"], job["error"]["code"]) == ("failed", "provider_unavailable"), job
    assert fake.state.calls["submit"] == 2
    providers = {p["name"]: p for p in (await platform.api.get("/v1/providers", headers=auth)).json()}
    assert providers["minimax"]["circuit"] == "open"
    job = await generate(platform, auth, **HAILUO, seed=2)
    assert (job["status"], job["error"]["code"]) == ("failed", "provider_unavailable")
    assert "circuit is open" in job["error"]["message"]
    assert fake.state.calls["submit"] == 2  # refused without a call
    fake.state.heal()
    await asyncio.sleep(1.0)  # the cooldown: then one trial call goes through
    job = await generate(platform, auth, **HAILUO, seed=3)
    assert job["status"] == "succeeded", job
    providers = {p["name"]: p for p in (await platform.api.get("/v1/providers", headers=auth)).json()}
    assert providers["minimax"]["circuit"] == "closed"


@with_aigen(fallbacks={"minimax": ["local"]}, provider_max_attempts=2, provider_backoff_s=0.01)
async def test_a_fallback_provider_takes_over_when_the_first_is_down(platform: Platform, fake: FakeMiniMax) -> None:
    _, auth = await platform.tenant("acme")
    fake.state.fail_always("submit", faults.server_error)
    job = await generate(platform, auth, **HAILUO)
    assert job["status"] == "succeeded", job
    made = await generation(platform, auth, job["resource_id"])
    assert (made["provider"], made["model"], made["procedural"]) == ("local", "procedural-v1", True)
    assert (made["cost"]["micros"], made["attempts"]) == (0, 3)  # two MiniMax attempts, one local
    assert fake.state.calls["submit"] == 2
    # A refusal of the request itself is not the provider's fault: no fallback.
    fake.state.heal()
    fake.state.fail_next("submit", lambda: faults.base_error(1026, "input new_sensitive"))
    job = await generate(platform, auth, **HAILUO, seed=9)
    assert (job["status"], job["error"]["code"]) == ("failed", "provider_rejected"), job


@with_aigen(provider_rate_limits={"minimax": {"per_minute": 240, "burst": 1}})
async def test_the_providers_rate_limit_holds_under_concurrent_generations(
    platform: Platform, fake: FakeMiniMax
) -> None:
    _, auth = await platform.tenant("acme")
    fake.polls_until_done = 0
    jobs = await asyncio.gather(*(generate(platform, auth, **HAILUO, seed=seed) for seed in range(6)))
    assert all(job["status"] == "succeeded" for job in jobs), jobs
    times = sorted(fake.state.times["submit"])
    assert len(times) == 6
    # 4 a second after a burst of 1: the sixth call at least 5 intervals after the first.
    assert times[-1] - times[0] >= 5 * 0.25 - 0.05, [round(t - times[0], 3) for t in times]


@with_aigen()
async def test_cancelling_stops_polling_and_a_failed_task_fails_the_job_with_its_reason(
    platform: Platform, fake: FakeMiniMax
) -> None:
    _, auth = await platform.tenant("acme")
    fake.polls_until_done = 10**6
    accepted = (await platform.api.post("/v1/generations", json=HAILUO, headers=auth)).json()
    await wait_for(lambda: _polled(fake), what="the task to be polled")
    cancelled = (await platform.api.post(f"/v1/generations/{accepted['resource_id']}/cancel", headers=auth)).json()
    assert (cancelled["status"], cancelled["error"]["code"]) == ("cancelled", "cancelled")
    assert cancelled["cost"]["micros"] == ESTIMATE_MICROS  # the provider runs (and bills) the task anyway

    async def job_failed() -> bool:
        job = (await platform.api.get(f"/v1/jobs/{accepted['id']}", headers=auth)).json()
        return bool(job["status"] == "failed" and job["error"]["code"] == "cancelled")

    await wait_for(job_failed, what="the job to fail as cancelled")
    polls = fake.state.calls["query"]
    await asyncio.sleep(0.5)
    assert fake.state.calls["query"] <= polls + 1
    again = await platform.api.post(f"/v1/generations/{accepted['resource_id']}/cancel", headers=auth)
    assert (again.status_code, again.json()["code"]) == (409, "conflict")

    fake.polls_until_done = 1
    fake.fail_next_task = "output new_sensitive"
    job = await generate(platform, auth, **HAILUO, seed=5)
    assert (job["status"], job["error"]["code"]) == ("failed", "generation_failed"), job
    assert "new_sensitive" in job["error"]["message"]
    failed = await generation(platform, auth, job["resource_id"])
    assert failed["cost"]["micros"] == 0


async def _polled(fake: FakeMiniMax) -> bool:
    return fake.state.calls["query"] >= 2
