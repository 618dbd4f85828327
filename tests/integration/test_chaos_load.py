"""Load: a tenant at twice its rate limit is held back with 429 and
Retry-After while another tenant is served as before; many clip jobs at once
all complete (`make chaos` starts 50)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import OPERATOR_TOKEN, WITH_CLIPS, Platform
from figures import full_suite, record, runs
from media_corpus import LECTURE
from support import free_port, start_script, wait_for
from test_transcription import ready_asset
from workers import WorkerProcess

from reelforge_gateway.config import GatewaySettings

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(3600 if full_suite() else 600)]

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
HOG_RATE_PER_S = 20.0  # the hog's limit; it sends twice as many
VICTIM_REQUESTS = 400 if full_suite() else 150  # a window
VICTIM_PACE_S = 0.02


async def set_quotas(platform: Platform, tenant_id: str, **values: float) -> None:
    response = await platform.api.patch(f"/v1/admin/tenants/{tenant_id}/quotas", json=values, headers=OPERATOR)
    assert response.status_code == 200, response.text


@asynccontextmanager
async def gateway_replica(
    platform: Platform, child_env: dict[str, str], uid: str, work: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a second gateway replica on the platform's schema, run as
    deployed: its console script, its own process and event loop. Latency
    measured through the in-process gateway would count the server's work
    twice, since the measuring client would wait on the same event loop."""
    settings = platform.gateway.settings
    targets = {name: getattr(settings, name) for name in GatewaySettings.model_fields if name.endswith("_target")}
    api_port = free_port()
    replica = WorkerProcess(
        "gateway", free_port(), child_env, uid, work, api_port=api_port, operator_token=OPERATOR_TOKEN, **targets
    )
    await replica.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as api:

            async def serving() -> bool:
                try:
                    return (await api.get("/v1/jobs", headers=OPERATOR)).status_code < 500
                except httpx.TransportError:
                    return False

            await wait_for(serving, timeout_s=60, what="the gateway replica to serve")
            yield api
    finally:
        await replica.stop()


async def latencies(api: httpx.AsyncClient, auth: dict[str, str]) -> tuple[list[float], list[int]]:
    """The victim's requests, one after another at its own pace: seconds each, and the status codes."""
    took, codes = [], []
    for _ in range(VICTIM_REQUESTS):
        began = time.perf_counter()
        response = await api.get("/v1/jobs", headers=auth)
        took.append(time.perf_counter() - began)
        codes.append(response.status_code)
        await asyncio.sleep(VICTIM_PACE_S)
    return took, codes


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


async def test_a_tenant_over_its_rate_limit_is_refused_and_another_is_served_as_before(
    platform: Platform, child_env: dict[str, str], uid: str, tmp_path: Path
) -> None:
    hog_id, hog = await platform.tenant("hog")
    victim_id, victim = await platform.tenant("victim")
    await set_quotas(platform, hog_id, rate_limit_per_s=HOG_RATE_PER_S, rate_limit_burst=int(HOG_RATE_PER_S))
    await set_quotas(platform, victim_id, rate_limit_per_s=1000, rate_limit_burst=1000)
    token = hog["Authorization"].removeprefix("Bearer ")
    # Unloaded and loaded windows alternate, so that drift in the machine's
    # own load falls on both; each side's p99 is taken over all its windows.
    windows = runs(full=5, fast=2)
    unloaded: list[float] = []
    loaded: list[float] = []
    victim_codes: Counter[int] = Counter()
    held = 0  # windows where the hog met 429s and the victim none
    answers: Counter[str] = Counter()
    retry_after: list[int] = []
    async with gateway_replica(platform, child_env, uid, tmp_path) as api:
        await latencies(api, victim)  # warm the pools
        for _ in range(windows):
            took, codes = await latencies(api, victim)
            unloaded += took
            victim_codes.update(codes)
            seconds = VICTIM_REQUESTS * (VICTIM_PACE_S + statistics.mean(took)) * 1.5
            url = str(api.base_url).rstrip("/")
            flood = await start_script("hog", child_env, url, token, str(2 * HOG_RATE_PER_S), f"{seconds:.1f}")
            await asyncio.sleep(1.0)  # the hog's burst is spent
            took, codes = await latencies(api, victim)
            loaded += took
            victim_codes.update(codes)
            output, _ = await flood.communicate()
            hog_result: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
            held += "429" in hog_result["answers"] and set(codes) == {200}
            admitted_at_most = HOG_RATE_PER_S * (hog_result["seconds"] + 1) + HOG_RATE_PER_S  # its rate, plus the burst
            assert hog_result["answers"].get("200", 0) <= admitted_at_most, hog_result["answers"]
            answers.update(hog_result["answers"])
            retry_after += hog_result["retry_after"]

    ratio = p99(loaded) / p99(unloaded)
    record(
        "chaos",
        "rate limit at 2x, other tenant's p99",
        windows,
        held,
        f"hog: {sum(answers.values())} sent at {2 * HOG_RATE_PER_S:.0f}/s, {answers.get('200', 0)} served, "
        f"{answers.get('429', 0)} 429 (all with Retry-After); victim p99 over {windows}x{VICTIM_REQUESTS} requests "
        f"{p99(unloaded) * 1000:.1f} ms unloaded, {p99(loaded) * 1000:.1f} ms loaded: ratio {ratio:.2f} "
        "(target at most 1.10)",
    )
    assert set(answers) == {"200", "429"}, answers
    assert len(retry_after) == answers["429"]
    assert min(retry_after) >= 1
    assert set(victim_codes) == {200}  # never held back by the hog's limit


@pytest.mark.parametrize("platform", [WITH_CLIPS], indirect=True)
async def test_many_clip_jobs_at_once_all_complete(platform: Platform) -> None:
    tenant_id, auth = await platform.tenant("busy")
    jobs_wanted = runs(full=50, fast=3)
    await set_quotas(platform, tenant_id, max_concurrent_jobs=jobs_wanted, rate_limit_burst=jobs_wanted * 4)
    assets = [await ready_asset(platform, auth, LECTURE, "video/mp4") for _ in range(max(1, jobs_wanted // 10))]
    started_at = time.monotonic()

    async def start(index: int) -> str:
        body = {"asset_id": assets[index % len(assets)], "count": 2, "min_duration": 5, "max_duration": 10}
        response = await platform.api.post("/v1/clip-jobs", json=body, headers=auth)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    job_ids = await asyncio.gather(*(start(index) for index in range(jobs_wanted)))
    ended: dict[str, dict[str, Any]] = {}

    async def all_ended() -> bool:
        for job_id in set(job_ids) - set(ended):
            job = (await platform.api.get(f"/v1/jobs/{job_id}", headers=auth)).json()
            if job["status"] in {"succeeded", "failed"}:
                ended[job_id] = job
        return len(ended) == jobs_wanted

    await wait_for(all_ended, timeout_s=3600, what="every clip job to end")
    elapsed = time.monotonic() - started_at
    clip_counts = []
    for job in ended.values():
        found = (await platform.api.get(f"/v1/clip-jobs/{job['resource_id']}", headers=auth)).json()
        clip_counts.append(len(found.get("clips", [])))
    succeeded = sum(job["status"] == "succeeded" for job in ended.values())
    record(
        "chaos",
        "concurrent clip jobs",
        jobs_wanted,
        succeeded,
        f"{succeeded}/{jobs_wanted} succeeded on {len(assets)} source videos, {sum(clip_counts)} clips, "
        f"{elapsed:.0f} s ({jobs_wanted / elapsed * 60:.1f} jobs/min)",
    )
    assert succeeded == jobs_wanted, [job["error"] for job in ended.values() if job["status"] != "succeeded"]
    assert clip_counts == [2] * jobs_wanted
