"""Rate limits shared across gateway replicas, Idempotency-Key, quotas and usage."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from conftest import OPERATOR_TOKEN, Platform
from media_corpus import LECTURE
from pydantic import SecretStr
from support import wait_for
from test_assets import upload

from reelforge.api.v1 import jobs_pb2, jobs_pb2_grpc
from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge_common.bus import Bus, new_envelope
from reelforge_common.db import Database
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import Metrics
from reelforge_gateway.api.app import create_app
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.job_view import JobViews
from reelforge_gateway.live import JobFeed
from reelforge_gateway.sealing import record_key

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


async def set_quotas(platform: Platform, tenant_id: str, **values: float | None) -> httpx.Response:
    return await platform.api.patch(f"/v1/admin/tenants/{tenant_id}/quotas", json=values, headers=OPERATOR)


async def second_replica(platform: Platform, bus: Bus) -> AsyncIterator[httpx.AsyncClient]:
    """Another gateway application on the same database and bus, as a second
    replica would be (its own connection pool)."""
    settings = platform.gateway.settings
    database = await Database.connect(settings.database_url.get_secret_value(), schema=settings.database_schema)
    clients = InternalClients.connect(settings)
    app = create_app(
        pool=database.pool,
        settings=GatewaySettings.model_validate({**settings.model_dump(), "operator_token": SecretStr(OPERATOR_TOKEN)}),
        clients=clients,
        feed=JobFeed(bus, database.pool, JobViews(ObjectStore.from_settings(settings, "gateway")), Metrics("gateway")),
    )
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://replica-2") as client:
            yield client
    finally:
        await clients.close()
        await database.close()


async def test_the_rate_limit_is_per_tenant_and_shared_by_replicas(platform: Platform, bus: Bus) -> None:
    acme_id, acme = await platform.tenant("acme")
    _globex_id, globex = await platform.tenant("globex")
    response = await set_quotas(platform, acme_id, rate_limit_per_s=0.5, rate_limit_burst=4)
    assert response.status_code == 200, response.text
    assert response.json()["quotas"]["rate_limit_burst"] == 4

    async for replica in second_replica(platform, bus):
        answers = []
        for api in (platform.api, replica, platform.api, replica, platform.api, replica):
            answers.append(await api.get("/v1/jobs", headers=acme))
    # Four tokens in the bucket, wherever the requests land; a token every 2 s after.
    assert [a.status_code for a in answers[:4]] == [200] * 4
    refused = answers[4]
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert answers[5].status_code == 429
    # Other tenants and the operator are not held back.
    assert (await platform.api.get("/v1/jobs", headers=globex)).status_code == 200
    assert (await platform.api.get(f"/v1/admin/tenants/{acme_id}/quotas", headers=OPERATOR)).status_code == 200

    await asyncio.sleep(int(refused.headers["Retry-After"]))
    assert (await platform.api.get("/v1/jobs", headers=acme)).status_code == 200


async def test_grpc_calls_draw_on_the_same_bucket(platform: Platform) -> None:
    tenant_id, auth = await platform.tenant("acme")
    await set_quotas(platform, tenant_id, rate_limit_per_s=0.1, rate_limit_burst=3)
    metadata = (("authorization", auth["Authorization"]),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as channel:
        jobs = jobs_pb2_grpc.JobsStub(channel)
        assert (await platform.api.get("/v1/jobs", headers=auth)).status_code == 200
        await jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=metadata)
        assert (await platform.api.get("/v1/jobs", headers=auth)).status_code == 200
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=metadata)
    trailers = dict(refused.value.trailing_metadata() or ())
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert trailers["rf-error-code"] == "rate_limited"
    assert 1 <= int(trailers["retry-after"]) <= 10


async def test_a_repeated_post_with_the_same_key_is_replayed_not_repeated(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    request = {"name": "ci", "scopes": ["read"]}
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}

    first = await platform.api.post("/v1/api-keys", json=request, headers={**auth, **key})
    again = await platform.api.post("/v1/api-keys", json=request, headers={**auth, **key})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same key, secret included: nothing created twice
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    names = [k["name"] for k in (await platform.api.get("/v1/api-keys", headers=auth)).json()]
    assert names.count("ci") == 1

    different = await platform.api.post("/v1/api-keys", json={**request, "name": "other"}, headers={**auth, **key})
    assert (different.status_code, different.json()["code"]) == (422, "idempotency_key_reused")
    other_path = await platform.api.post(
        "/v1/imports", json={"url": "https://example.com/a.mp4"}, headers={**auth, **key}
    )
    assert (other_path.status_code, other_path.json()["code"]) == (422, "idempotency_key_reused")
    malformed = await platform.api.post("/v1/api-keys", json=request, headers={**auth, "Idempotency-Key": "x" * 256})
    assert (malformed.status_code, malformed.json()["code"]) == (422, "validation_failed")


async def test_keys_belong_to_their_tenant(platform: Platform) -> None:
    _acme, acme = await platform.tenant("acme")
    _globex, globex = await platform.tenant("globex")
    key = {"Idempotency-Key": "shared-key-1"}
    acme_key = await platform.api.post("/v1/api-keys", json={"name": "a"}, headers={**acme, **key})
    globex_key = await platform.api.post("/v1/api-keys", json={"name": "g"}, headers={**globex, **key})
    assert (acme_key.status_code, globex_key.status_code) == (201, 201)
    assert acme_key.json()["id"] != globex_key.json()["id"]
    assert "Idempotent-Replayed" not in globex_key.headers

    # A definite answer, even a refusal, is kept: rotating a revoked key stays 404.
    rotate = {"Idempotency-Key": "rotate-1"}
    key_id = acme_key.json()["id"]
    await platform.api.delete(f"/v1/api-keys/{key_id}", headers=acme)
    refused = await platform.api.post(f"/v1/api-keys/{key_id}/rotate", headers={**acme, **rotate})
    replayed = await platform.api.post(f"/v1/api-keys/{key_id}/rotate", headers={**acme, **rotate})
    assert (refused.status_code, replayed.status_code) == (404, 404)
    assert replayed.headers["Idempotent-Replayed"] == "true"


async def test_an_upload_in_flight_holds_its_key_and_its_retry_is_replayed(platform: Platform, db: Database) -> None:
    _tenant, auth = await platform.tenant("acme")
    key = {"Idempotency-Key": "upload-lecture-1"}
    release = asyncio.Event()
    data = LECTURE.read_bytes()
    boundary = "first-try-boundary"

    async def slow_body() -> AsyncIterator[bytes]:
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="lecture.mp4"\r\n'.encode()
        yield b"Content-Type: video/mp4\r\n\r\n" + data[:65536]
        await release.wait()
        yield data[65536:] + f"\r\n--{boundary}--\r\n".encode()

    headers = {**auth, **key, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    first = asyncio.create_task(platform.api.post("/v1/assets", content=slow_body(), headers=headers))
    try:

        async def claimed() -> bool:  # asked of the database: a request would claim a free key
            schema = platform.gateway.settings.database_schema
            sql = f'SELECT count(*) FROM "{schema}".idempotency_records WHERE key = $1'
            return bool(await db.pool.fetchval(sql, record_key("upload-lecture-1")))

        await wait_for(claimed, what="the first upload to hold its key")
        busy = await platform.api.post("/v1/api-keys", json={}, headers={**auth, **key})
        assert (busy.status_code, busy.json()["code"]) == (409, "idempotency_request_in_flight")
    finally:
        release.set()
    created = await first
    assert created.status_code == 201, created.text

    # The retry is sent again in full, with another boundary (httpx picks one at random).
    with LECTURE.open("rb") as file:
        retry = await platform.api.post(
            "/v1/assets", files={"file": ("lecture.mp4", file, "video/mp4")}, headers={**auth, **key}
        )
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == created.json()["id"]
    assets = (await platform.api.get("/v1/assets", headers=auth)).json()["items"]
    assert [a["id"] for a in assets] == [created.json()["id"]]


async def test_quotas_are_set_reset_and_enforced_with_their_codes(platform: Platform, bus: Bus) -> None:
    tenant_id, auth = await platform.tenant("acme")
    report = (await platform.api.get("/v1/quotas", headers=auth)).json()
    assert report["tenant_id"] == tenant_id
    assert report["quotas"]["monthly_minutes"] == 60_000
    assert len(report["quotas"]["defaults"]) == 6
    assert report["usage"]["minutes_used"] == 0

    # Monthly minutes: counted from ingested media, once per asset.
    assert (await set_quotas(platform, tenant_id, monthly_minutes=1)).status_code == 200
    for _ in range(2):
        assert (await upload(platform, auth, LECTURE)).status_code == 201
    expected_minutes = round(2 * 40.04 / 60, 1)

    async def counted() -> bool:
        usage = (await platform.api.get("/v1/quotas", headers=auth)).json()["usage"]
        return bool(round(usage["minutes_used"], 1) == expected_minutes and usage["active_jobs"] == 0)

    await wait_for(counted, timeout_s=120, what="both uploads to be metered")
    refused = await upload(platform, auth, LECTURE)
    assert (refused.status_code, refused.json()["code"]) == (429, "monthly_minutes_exceeded")

    # Back to the default (null), then one job at a time while a job is queued.
    reset = await set_quotas(platform, tenant_id, monthly_minutes=None, max_concurrent_jobs=1)
    assert "monthly_minutes" in reset.json()["quotas"]["defaults"]
    assert "max_concurrent_jobs" not in reset.json()["quotas"]["defaults"]
    await bus.publish(
        new_envelope(
            event_type="transcription.requested",
            tenant_id=tenant_id,
            payload=TranscriptionRequested(asset_id="a1"),
            producer="test",
            correlation_id="queued-job",
        )
    )

    async def queued() -> bool:
        return bool((await platform.api.get("/v1/quotas", headers=auth)).json()["usage"]["active_jobs"] == 1)

    await wait_for(queued, what="the queued job to be projected")
    key = {"Idempotency-Key": "upload-when-allowed"}
    with LECTURE.open("rb") as file:
        form = {"file": ("lecture.mp4", file, "video/mp4")}
        refused = await platform.api.post("/v1/assets", files=form, headers={**auth, **key})
    assert (refused.status_code, refused.json()["code"]) == (429, "concurrent_jobs_exceeded")
    assert refused.headers["Retry-After"]
    # A 429 is not kept: once the quota allows, the same key runs the upload.
    await set_quotas(platform, tenant_id, max_concurrent_jobs=2)
    with LECTURE.open("rb") as file:
        form = {"file": ("lecture.mp4", file, "video/mp4")}
        accepted = await platform.api.post("/v1/assets", files=form, headers={**auth, **key})
    assert accepted.status_code == 201
    assert "Idempotent-Replayed" not in accepted.headers

    # Per-asset duration and upload size.
    await set_quotas(platform, tenant_id, max_concurrent_jobs=None, max_media_duration_s=10, max_upload_bytes=10**9)
    refused = await upload(platform, auth, LECTURE)
    assert (refused.status_code, refused.json()["code"]) == (422, "duration_quota_exceeded")
    await set_quotas(platform, tenant_id, max_media_duration_s=None, max_upload_bytes=1000)
    refused = await upload(platform, auth, LECTURE)
    assert (refused.status_code, refused.json()["code"]) == (413, "upload_too_large")


async def test_quota_administration_refuses_bad_requests(platform: Platform) -> None:
    tenant_id, auth = await platform.tenant("acme")
    path = f"/v1/admin/tenants/{tenant_id}/quotas"
    for body in ({"monthly_minutes": 0}, {"rate_limit_burst": -1}, {"max_jobs": 3}):
        refused = await platform.api.patch(path, json=body, headers=OPERATOR)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed"), body
    unknown = await platform.api.patch("/v1/admin/tenants/t_nope/quotas", json={"monthly_minutes": 5}, headers=OPERATOR)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    tenant_key = await platform.api.patch(path, json={"monthly_minutes": 5}, headers=auth)
    assert (tenant_key.status_code, tenant_key.json()["code"]) == (401, "unauthenticated")
    unchanged = (await platform.api.patch(path, json={}, headers=OPERATOR)).json()
    assert len(unchanged["quotas"]["defaults"]) == 6
