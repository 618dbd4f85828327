"""Postgres and S3 stopped and started under the services.

The tests here run the platform against a private Postgres cluster and a
private SeaweedFS (devstack components in a temporary folder, on their own
ports; the ``settings`` fixture is overridden), so they can stop and start
them without disturbing the shared stack.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import figures
import pytest
from chaos_support import UNLIMITED, ApiLoad, job_outcome, short_clip, summary, upload
from conftest import Platform
from pydantic import SecretStr
from support import free_port, wait_for

from reelforge_common.settings import ServiceSettings
from reelforge_devstack.layout import BUCKET, DATABASE, DB_USER, HOST, StackLayout
from reelforge_devstack.postgres import PostgresCluster
from reelforge_devstack.seaweed import SeaweedS3

pytestmark = pytest.mark.chaos
_SEAWEED_PORTS = (
    "s3", "s3_grpc", "weed_master", "weed_master_grpc",
    "weed_volume", "weed_volume_grpc", "weed_filer", "weed_filer_grpc",
)  # fmt: skip


@pytest.fixture(scope="module")
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(StackLayout(root=tmp_path_factory.mktemp("postgres"), ports={"postgres": free_port()}))
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.home, ignore_errors=True)  # under /var/tmp when .stack/postgres links there


@pytest.fixture(scope="module")
def private_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    layout = StackLayout(root=tmp_path_factory.mktemp("s3"), ports={name: free_port() for name in _SEAWEED_PORTS})
    s3 = SeaweedS3(layout)
    s3.start()
    yield s3
    s3.stop()


@pytest.fixture
def settings(settings: ServiceSettings, private_postgres: PostgresCluster, private_s3: SeaweedS3) -> ServiceSettings:
    """This test's settings with Postgres and S3 the private ones."""
    password = private_postgres.layout.secrets()["db_password"]
    keys = private_s3.layout.secrets()
    return settings.model_copy(
        update={
            "database_url": SecretStr(f"postgresql://{DB_USER}:{password}@{HOST}:{private_postgres.port}/{DATABASE}"),
            "s3_endpoint": f"{HOST}:{private_s3.ports['s3']}",
            "s3_access_key": SecretStr(keys["s3_access_key"]),
            "s3_secret_key": SecretStr(keys["s3_secret_key"]),
            "s3_bucket": BUCKET,
        }
    )


@pytest.mark.timeout(600)
@pytest.mark.parametrize("platform", [{"gateway": UNLIMITED}], indirect=True)
async def test_postgres_fast_stop_and_start_under_load_answers_503_never_500_then_recovers(
    platform: Platform, private_postgres: PostgresCluster
) -> None:
    _, auth = await platform.tenant("outage")
    cycles = figures.runs(3, fast=1)
    recoveries: list[float] = []
    outages: list[float] = []
    async with ApiLoad(platform.api, auth, timeout_s=15.0) as load:
        await asyncio.sleep(1.0)
        windows: list[tuple[float, float]] = []
        for _ in range(cycles):
            stopping = time.monotonic()
            await asyncio.to_thread(private_postgres.stop)  # pg_ctl -m fast: sessions are terminated
            await asyncio.sleep(3.0)
            await asyncio.to_thread(private_postgres.start)  # returns once Postgres accepts connections
            accepting = time.monotonic()
            windows.append((stopping, accepting))
            outages.append(accepting - stopping)
            recoveries.append(await _recovery(load, accepting))
            await asyncio.sleep(1.0)
    during = [answer for start, end in windows for answer in load.during(start, end)]
    counts = summary(during)
    held = counts["500"] == 0 and counts["no_answer"] == 0 and counts["other"] == 0 and counts["503"] > 0
    figures.record(
        "chaos",
        "Postgres fast stop/start under API load",
        cycles,
        cycles if held else 0,
        f"{counts['requests']} requests during {cycles} outage(s) of {max(outages):.1f} s: {counts['ok']} ok, "
        f"{counts['503']} x 503, {counts['500']} x 500, {counts['no_answer']} unanswered; "
        f"recovered {max(recoveries):.2f} s after Postgres accepted connections (target 10 s)",
    )
    assert counts["500"] == 0, [a for a in during if a.status == 500]
    assert counts["no_answer"] == 0, [a for a in during if a.status == 0]
    assert counts["other"] == 0, [a for a in during if not (a.ok or a.problem_503)]
    assert counts["503"] > 0, "no request met the outage: the test tested nothing"
    await wait_for(lambda: _all_ready(platform), timeout_s=30, what="gateway and ingest to be ready again")


async def _recovery(load: ApiLoad, accepting: float) -> float:
    """Seconds from Postgres accepting connections to the first successful
    answer to a request sent after that."""

    async def succeeded() -> bool:
        return any(answer.ok for answer in load.after(accepting))

    await wait_for(succeeded, timeout_s=90, what="the API to recover")
    return min(answer.ended for answer in load.after(accepting) if answer.ok) - accepting


async def _all_ready(platform: Platform) -> bool:
    assert platform.ingest is not None
    return await platform.gateway.ready() and await platform.ingest.ready()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("platform", [{"ingest": {"s3_retry_limit_s": 120.0}}], indirect=True)
async def test_s3_restarted_during_ingest_is_ridden_out_and_the_job_succeeds(
    platform: Platform, private_s3: SeaweedS3, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("s3restart")
    clip = short_clip(tmp_path)
    restarts = figures.runs(3, fast=1)
    outcomes: list[str] = []
    downtimes: list[float] = []
    for _ in range(restarts):
        accepted = await upload(platform, auth, clip)
        stopped = time.monotonic()
        await asyncio.to_thread(private_s3.daemon.kill)  # processing now stores its derivatives into a dead S3
        await asyncio.sleep(2.0)
        await asyncio.to_thread(private_s3.start)
        downtimes.append(time.monotonic() - stopped)
        outcomes.append((await job_outcome(platform, auth, accepted["job_id"], timeout_s=240))["status"])
    figures.record(
        "chaos",
        "SeaweedFS killed and restarted during ingest (retry limit 120 s)",
        restarts,
        outcomes.count("succeeded"),
        f"S3 down {min(downtimes):.1f}-{max(downtimes):.1f} s; jobs {outcomes}",
    )
    assert outcomes == ["succeeded"] * restarts


@pytest.mark.timeout(600)
@pytest.mark.parametrize("platform", [{"ingest": {"s3_retry_limit_s": 2.0}}], indirect=True)
async def test_an_s3_outage_longer_than_the_retry_limit_fails_the_job_with_its_reason(
    platform: Platform, private_s3: SeaweedS3, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("s3down")
    accepted = await upload(platform, auth, short_clip(tmp_path))
    await asyncio.to_thread(private_s3.daemon.kill)
    stopped = time.monotonic()
    try:
        job = await job_outcome(platform, auth, accepted["job_id"], timeout_s=120)
        failed_after = time.monotonic() - stopped
        asset = await platform.api.get(f"/v1/assets/{accepted['id']}", headers=auth)
        with short_clip(tmp_path).open("rb") as file:  # and a new upload is refused as unavailable
            refused = await platform.api.post("/v1/assets", files={"file": ("c.mp4", file, "video/mp4")}, headers=auth)
    finally:
        await asyncio.to_thread(private_s3.start)
    error = job.get("error") or {}
    held = job["status"] == "failed" and "object storage unavailable" in error.get("message", "")
    figures.record(
        "chaos",
        "S3 down past the retry limit (2 s) fails the ingest job",
        1,
        int(held),
        f"job {job['status']} {failed_after:.1f} s after S3 died: {error.get('code')}: "
        f"{error.get('message', '')[:90]}; an upload meanwhile answered {refused.status_code}",
    )
    assert job["status"] == "failed", job
    assert error["code"] == "processing_failed", error
    assert "object storage unavailable" in error["message"], error
    assert asset.status_code == 200, asset.text
    assert asset.json()["status"] == "failed"
    assert (refused.status_code, refused.json()["code"]) == (503, "unavailable"), refused.text
    assert refused.headers["retry-after"]
