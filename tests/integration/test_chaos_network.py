"""Network faults between the services and NATS, Postgres and S3.

Every test here runs the gateway and ingest with their NATS, Postgres and S3
traffic through a :class:`FaultProxy` each (the ``settings`` fixture is
overridden), injects faults while an upload is ingested or API load runs,
and checks the guarantee once the network heals. Faults are always healed
before the platform stops.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import figures
import pytest
from chaos_support import UNLIMITED, ApiLoad, ingest, job_outcome, short_clip, summary, upload
from conftest import Platform
from fault_proxy import FaultProxy
from pydantic import SecretStr
from support import wait_for

from reelforge_common.bus import Bus
from reelforge_common.settings import ServiceSettings

pytestmark = pytest.mark.chaos
LOAD_PLATFORM = {"gateway": UNLIMITED}
PING_S = 2.0  # REELFORGE_NATS_PING_INTERVAL_S here: a silent partition is noticed in seconds


@dataclass
class Proxies:
    nats: FaultProxy
    postgres: FaultProxy
    s3: FaultProxy

    def all(self) -> tuple[FaultProxy, FaultProxy, FaultProxy]:
        return (self.nats, self.postgres, self.s3)

    def heal(self) -> None:
        for proxy in self.all():
            proxy.heal()


@pytest.fixture
async def proxies(stack_env: dict[str, str]) -> AsyncIterator[Proxies]:
    started = Proxies(
        nats=await FaultProxy.to(stack_env["REELFORGE_NATS_URL"]).start(),
        postgres=await FaultProxy.to(stack_env["REELFORGE_DATABASE_URL"]).start(),
        s3=await FaultProxy.to(stack_env["REELFORGE_S3_ENDPOINT"]).start(),
    )
    yield started
    for proxy in started.all():
        await proxy.stop()


@pytest.fixture
def settings(settings: ServiceSettings, proxies: Proxies) -> ServiceSettings:
    """The stack's settings with NATS, Postgres and S3 reached through the proxies."""
    return settings.model_copy(
        update={
            "nats_url": proxies.nats.url(settings.nats_url),
            "database_url": SecretStr(proxies.postgres.url(settings.database_url.get_secret_value())),
            "s3_endpoint": proxies.s3.address,
            "nats_ping_interval_s": PING_S,
        }
    )


async def test_fault_proxy_delays_resets_blackholes_and_refuses() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with FaultProxy("127.0.0.1", port) as proxy:

        async def roundtrip() -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            try:
                writer.write(b"ping")
                await writer.drain()
                return await asyncio.wait_for(reader.read(4), 2)
            finally:
                writer.close()

        assert await roundtrip() == b"ping"
        proxy.latency_ms = 100
        started = time.monotonic()
        assert await roundtrip() == b"ping"
        assert time.monotonic() - started >= 0.2  # a chunk each way
        proxy.heal()

        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"x")
        await writer.drain()
        assert await reader.read(1) == b"x"
        assert proxy.reset() == 1
        with pytest.raises(ConnectionResetError):
            await reader.read(1)
        writer.close()

        proxy.reset_new = True
        with pytest.raises(ConnectionResetError):
            await roundtrip()
        proxy.heal()

        proxy.blackhole = True
        with pytest.raises(TimeoutError):
            await roundtrip()
        proxy.heal()

        await proxy.go_down()
        with pytest.raises(ConnectionRefusedError):
            await roundtrip()
        await proxy.come_up()
        assert await roundtrip() == b"ping"
    server.close()


@pytest.mark.parametrize("platform", [{}], indirect=True)
async def test_an_upload_is_ingested_with_latency_on_nats_postgres_and_s3(
    platform: Platform, proxies: Proxies, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("latency")
    clip = short_clip(tmp_path)
    baseline_job, baseline_s = await ingest(platform, auth, clip)
    latency_ms = 20.0
    for proxy in proxies.all():
        proxy.latency_ms = latency_ms
    try:
        job, slowed_s = await ingest(platform, auth, clip, timeout_s=170)
    finally:
        proxies.heal()
    held = baseline_job["status"] == job["status"] == "succeeded"
    figures.record(
        "chaos",
        "upload+ingest with latency on NATS, Postgres, S3",
        1,
        int(held),
        f"{latency_ms:g} ms per chunk each way: {baseline_s:.1f} s -> {slowed_s:.1f} s ({slowed_s / baseline_s:.1f}x)",
    )
    assert held, (baseline_job, job)


@pytest.mark.parametrize("platform", [LOAD_PLATFORM], indirect=True)
async def test_postgres_connection_resets_answer_503_never_500_and_the_api_recovers(
    platform: Platform, proxies: Proxies
) -> None:
    _, auth = await platform.tenant("resets")
    rounds = figures.runs(5, fast=2)
    async with ApiLoad(platform.api, auth) as load:
        await asyncio.sleep(1.0)
        window_start = time.monotonic()
        for _ in range(rounds):
            proxies.postgres.reset()
            proxies.postgres.reset_new = True
            await asyncio.sleep(1.0)
            proxies.postgres.reset_new = False
            await asyncio.sleep(0.5)
        healed = time.monotonic()
        await wait_for(lambda: _recovered(load, healed), timeout_s=60, what="a successful answer after the resets")
    # Their background loops (outbox relay, consumers) survived the resets too.
    await wait_for(lambda: _all_ready(platform), timeout_s=30, what="gateway and ingest to be ready")
    faulted = summary(load.during(window_start, healed))
    failures = [a for a in load.during(window_start, healed) if not a.ok]
    held = faulted["500"] == 0 and faulted["no_answer"] == 0 and faulted["other"] == 0 and faulted["503"] > 0
    figures.record(
        "chaos",
        "Postgres connection resets under API load",
        rounds,
        rounds if held else 0,
        f"{faulted['requests']} requests during resets: {faulted['ok']} ok, {faulted['503']} x 503, "
        f"{faulted['500']} x 500, {faulted['no_answer']} unanswered; {proxies.postgres.resets} connections reset",
    )
    assert faulted["500"] == 0, [a for a in failures if a.status == 500]
    assert faulted["no_answer"] == 0, failures
    assert faulted["other"] == 0, failures
    assert faulted["503"] > 0, "the resets never reached a request: the test tested nothing"


SHORT_DB_TIMEOUT = {"database_timeout_s": 2.0}


@pytest.mark.parametrize(
    "platform", [{"gateway": {**UNLIMITED, **SHORT_DB_TIMEOUT}, "ingest": SHORT_DB_TIMEOUT}], indirect=True
)
async def test_a_silent_postgres_partition_answers_503_within_the_statement_timeout_then_recovers(
    platform: Platform, proxies: Proxies
) -> None:
    _, auth = await platform.tenant("partition")
    async with ApiLoad(platform.api, auth, timeout_s=15.0) as load:
        await asyncio.sleep(1.0)
        partitioned = time.monotonic()
        proxies.postgres.blackhole = True  # those connections stay dead after the heal
        await asyncio.sleep(4.0)
        proxies.postgres.heal()
        healed = time.monotonic()
        await wait_for(lambda: _recovered(load, healed), timeout_s=60, what="a successful answer after the partition")
    proxies.postgres.reset()  # what is still dead is the test's own pool (no statement timeout): revive it
    during = load.during(partitioned, healed)
    counts = summary(during)
    slowest = max(answer.ended - answer.started for answer in during)
    recovery = min(answer.ended for answer in load.after(healed) if answer.ok) - healed
    held = counts["500"] == 0 and counts["no_answer"] == 0 and counts["other"] == 0 and counts["503"] > 0
    figures.record(
        "chaos",
        "Postgres silent partition (4 s) under API load, statement timeout 2 s",
        1,
        int(held),
        f"{counts['requests']} requests during it: {counts['ok']} ok, {counts['503']} x 503, {counts['500']} x 500, "
        f"{counts['no_answer']} unanswered; slowest answer {slowest:.1f} s; recovered {recovery:.1f} s after the heal",
    )
    assert counts["500"] == 0, [a for a in during if a.status == 500]
    assert counts["no_answer"] == 0, [a for a in during if a.status == 0]
    assert counts["other"] == 0, [a for a in during if not (a.ok or a.problem_503)]
    assert counts["503"] > 0


async def _all_ready(platform: Platform) -> bool:
    assert platform.ingest is not None
    return await platform.gateway.ready() and await platform.ingest.ready()


async def _recovered(load: ApiLoad, since: float) -> bool:
    return any(answer.ok for answer in load.after(since))


@pytest.mark.parametrize("platform", [{}], indirect=True)
async def test_ingest_jobs_complete_across_nats_resets_and_a_silent_partition(
    platform: Platform, proxies: Proxies, bus: Bus, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("nats")
    clip = short_clip(tmp_path)
    outcomes: list[str] = []
    started = time.monotonic()
    # Resets: every NATS connection dropped mid-job, new ones refused for a second.
    accepted = await upload(platform, auth, clip)
    proxies.nats.reset()
    proxies.nats.reset_new = True
    await asyncio.sleep(1.0)
    proxies.nats.heal()
    outcomes.append((await job_outcome(platform, auth, accepted["job_id"]))["status"])
    # A silent partition: bytes vanish both ways for 3 s and those connections
    # stay dead, no RST; the clients' pings must find out and reconnect.
    accepted = await upload(platform, auth, clip)
    proxies.nats.blackhole = True
    await asyncio.sleep(3.0)
    proxies.nats.heal()
    partition_healed = time.monotonic()
    outcomes.append((await job_outcome(platform, auth, accepted["job_id"]))["status"])
    after_partition_s = time.monotonic() - partition_healed
    proxies.nats.reset()  # what is still dead is this test's own client (default pings): revive it
    await wait_for(lambda: _connected(bus), what="the test's NATS client to reconnect")
    held = outcomes.count("succeeded")
    figures.record(
        "chaos",
        "ingest jobs across NATS resets / a 3 s silent partition",
        2,
        held,
        f"jobs {outcomes}; {proxies.nats.resets} connections reset; the partitioned job finished "
        f"{after_partition_s:.1f} s after the network healed (pings every {PING_S:g} s); "
        f"{time.monotonic() - started:.1f} s for both",
    )
    assert outcomes == ["succeeded", "succeeded"]


@pytest.mark.parametrize("platform", [{}], indirect=True)
async def test_s3_connection_resets_during_ingest_are_retried_and_the_job_succeeds(
    platform: Platform, proxies: Proxies, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("s3resets")
    clip = short_clip(tmp_path)
    proxies.s3.reset()  # pooled keep-alive connections too
    proxies.s3.reset_new = True
    try:
        upload_task = asyncio.create_task(upload(platform, auth, clip))
        await wait_for(lambda: _reset_at_least(proxies.s3, 3), timeout_s=30, what="S3 requests to be reset")
    finally:
        proxies.s3.heal()
    accepted = await upload_task
    during_upload = proxies.s3.resets
    # Again while processing stores the derivatives, until some of its requests were reset.
    proxies.s3.reset()
    before = proxies.s3.accepted
    proxies.s3.reset_new = True
    try:
        await wait_for(lambda: _accepted_at_least(proxies.s3, before + 2), timeout_s=60, what="ingest's S3 requests")
    finally:
        proxies.s3.heal()
    job = await job_outcome(platform, auth, accepted["job_id"])
    held = job["status"] == "succeeded"
    figures.record(
        "chaos",
        "S3 connection resets during upload and ingest",
        1,
        int(held),
        f"{during_upload} S3 connections reset during the upload, "
        f"{proxies.s3.resets - during_upload} during processing; job {job['status']}",
    )
    assert held, job


async def _connected(bus: Bus) -> bool:
    return bool(bus.nc.is_connected)


async def _reset_at_least(proxy: FaultProxy, count: int) -> bool:
    return proxy.resets >= count


async def _accepted_at_least(proxy: FaultProxy, count: int) -> bool:
    return proxy.accepted >= count
