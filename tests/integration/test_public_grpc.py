"""The public gRPC API (reelforge.api.v1): the REST operations over gRPC, with
the same keys, scopes, tenancy and problem codes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from conftest import OPERATOR_TOKEN, Platform
from media_corpus import LECTURE, SPEECH

from reelforge.api.v1 import (
    admin_pb2,
    admin_pb2_grpc,
    assets_pb2,
    assets_pb2_grpc,
    jobs_pb2,
    jobs_pb2_grpc,
    keys_pb2,
    keys_pb2_grpc,
)
from reelforge_gateway.grpc_api.errors import grpc_status
from reelforge_gateway.problems import CODES

Metadata = tuple[tuple[str, str], ...]
_CHUNK = 1024 * 1024
_WATCH_TIMEOUT_S = 150.0
Code = grpc.StatusCode


@pytest.fixture
async def channel(platform: Platform) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as opened:
        yield opened


def bearer(auth: dict[str, str] | str) -> Metadata:
    """Call metadata from the platform's REST header, or from a bare token."""
    value = auth["Authorization"] if isinstance(auth, dict) else f"Bearer {auth}"
    return (("authorization", value),)


async def upload_requests(
    path: Path, *, content_type: str = "video/mp4", filename: str | None = None
) -> AsyncIterator[assets_pb2.UploadRequest]:
    metadata = assets_pb2.UploadMetadata(
        filename=path.name if filename is None else filename, content_type=content_type, size_bytes=path.stat().st_size
    )
    yield assets_pb2.UploadRequest(metadata=metadata)
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            yield assets_pb2.UploadRequest(data=chunk)


async def upload(channel: grpc.aio.Channel, auth: dict[str, str], path: Path) -> assets_pb2.Asset:
    asset: assets_pb2.Asset = await assets_pb2_grpc.AssetsStub(channel).Upload(
        upload_requests(path), metadata=bearer(auth)
    )
    return asset


async def watched(
    channel: grpc.aio.Channel, auth: dict[str, str], job_id: str, after: int = 0
) -> list[jobs_pb2.JobEvent]:
    """Every change WatchJob sends, keep-alives left out, until the stream ends."""
    call = jobs_pb2_grpc.JobsStub(channel).WatchJob(
        jobs_pb2.WatchJobRequest(job_id=job_id, after_version=after), metadata=bearer(auth), timeout=_WATCH_TIMEOUT_S
    )
    return [event async for event in call if event.HasField("job")]


async def jobs_until_finished(call: Any, job_id: str) -> list[jobs_pb2.Job]:
    """The jobs a WatchEvents stream sends until ``job_id`` has finished; then the call is cancelled."""
    seen: list[jobs_pb2.Job] = []

    async def read() -> None:
        async for event in call:
            if event.HasField("job"):
                seen.append(event.job)
                if event.job.id == job_id and event.job.status in {
                    jobs_pb2.JOB_STATUS_SUCCEEDED,
                    jobs_pb2.JOB_STATUS_FAILED,
                }:
                    return

    try:
        await asyncio.wait_for(read(), _WATCH_TIMEOUT_S)
    finally:
        call.cancel()
    return seen


async def refusal(call: Any) -> tuple[grpc.StatusCode, str | None]:
    """The status a call ends with and its ``rf-error-code``; fails the test if it succeeds."""
    try:
        if hasattr(call, "__aiter__"):
            async for _ in call:
                pass
        else:
            await call
    except grpc.aio.AioRpcError as exc:
        trailers = exc.trailing_metadata() or ()
        return exc.code(), next((str(value) for key, value in trailers if key == "rf-error-code"), None)
    pytest.fail("the call succeeded")


async def test_a_streamed_upload_is_watched_until_its_job_succeeds(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    _, auth = await platform.tenant("acme")
    asset = await upload(channel, auth, LECTURE)
    assert asset.status == assets_pb2.ASSET_STATUS_PROCESSING
    assert (asset.filename, asset.size_bytes) == (LECTURE.name, LECTURE.stat().st_size)
    media = asset.media
    assert (media.width, media.height, media.has_video, media.has_audio) == (1280, 720, True, True)

    events = await watched(channel, auth, asset.job_id)
    statuses = [event.job.status for event in events]
    # queued < running < succeeded: each change moves forward, and the stream ends with success.
    assert statuses == sorted(statuses), statuses
    assert statuses[-1] == jobs_pb2.JOB_STATUS_SUCCEEDED
    assert jobs_pb2.JOB_STATUS_FAILED not in statuses
    versions = [event.version for event in events]
    assert versions == sorted(set(versions))
    assert {(e.job.id, e.job.kind, e.job.resource_id) for e in events} == {(asset.job_id, "ingest", asset.id)}
    assert (events[-1].job.progress, events[-1].job.HasField("error")) == (1.0, False)

    # Resuming after the final event: nothing will follow, the stream ends at once.
    assert await watched(channel, auth, asset.job_id, after=versions[-1]) == []

    assets = assets_pb2_grpc.AssetsStub(channel)
    ready = await assets.GetAsset(assets_pb2.GetAssetRequest(asset_id=asset.id), metadata=bearer(auth))
    assert ready.status == assets_pb2.ASSET_STATUS_READY
    assert set(ready.derivatives) == {"thumbnail", "filmstrip", "audio", "proxy"}
    assert ready.created_at.ToDatetime() == asset.created_at.ToDatetime()
    listed = await assets.ListAssets(assets_pb2.ListAssetsRequest(), metadata=bearer(auth))
    assert [a.id for a in listed.assets] == [asset.id]
    assert listed.next_cursor == ""
    processing = await assets.ListAssets(
        assets_pb2.ListAssetsRequest(status=assets_pb2.ASSET_STATUS_PROCESSING), metadata=bearer(auth)
    )
    assert list(processing.assets) == []

    jobs = jobs_pb2_grpc.JobsStub(channel)
    job = await jobs.GetJob(jobs_pb2.GetJobRequest(job_id=asset.job_id), metadata=bearer(auth))
    # Outputs are presigned afresh on each read: compare their names only.
    assert set(job.outputs) == set(events[-1].job.outputs) == {"original", "thumbnail", "filmstrip", "audio", "proxy"}
    job.ClearField("outputs")
    events[-1].job.ClearField("outputs")
    assert job == events[-1].job
    succeeded = await jobs.ListJobs(
        jobs_pb2.ListJobsRequest(status=jobs_pb2.JOB_STATUS_SUCCEEDED, kind="ingest"), metadata=bearer(auth)
    )
    assert [j.id for j in succeeded.jobs] == [asset.job_id]
    assert list((await jobs.ListJobs(jobs_pb2.ListJobsRequest(kind="pose"), metadata=bearer(auth))).jobs) == []
    # The same job, as REST shows it.
    rest = (await platform.api.get(f"/v1/jobs/{asset.job_id}", headers=auth)).json()
    assert (rest["status"], rest["resource_id"]) == ("succeeded", asset.id)


# Idle streams send a keep-alive after a second: the first message of a stream with nothing to say.
@pytest.mark.parametrize("platform", [{"gateway": {"live_idle_s": 1.0}}], indirect=True)
async def test_watch_events_streams_the_tenants_jobs_and_none_of_another_tenant(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    _, alice = await platform.tenant("alice")
    _, mallory = await platform.tenant("mallory")
    jobs = jobs_pb2_grpc.JobsStub(channel)
    # From now on: the start is fixed once the initial metadata arrives.
    alice_stream = jobs.WatchEvents(jobs_pb2.WatchEventsRequest(), metadata=bearer(alice))
    await alice_stream.initial_metadata()
    # From version 0: every change of the tenant, whenever the server starts the stream.
    mallory_stream = jobs.WatchEvents(jobs_pb2.WatchEventsRequest(after_version=0), metadata=bearer(mallory))

    mallory_asset = await upload(channel, mallory, SPEECH / "jfk.wav")
    mallory_seen = await jobs_until_finished(mallory_stream, mallory_asset.job_id)
    # Alice's stream was open all through Mallory's job; now Alice's own job runs.
    alice_asset = await upload(channel, alice, SPEECH / "jfk.wav")
    alice_seen = await jobs_until_finished(alice_stream, alice_asset.job_id)

    assert {job.id for job in mallory_seen} == {mallory_asset.job_id}
    assert {job.id for job in alice_seen} == {alice_asset.job_id}
    assert alice_seen[-1].status == jobs_pb2.JOB_STATUS_SUCCEEDED

    # Replayed from version 0, the kind filter keeps Alice's ingest job out of a pose stream:
    # its catch-up finds nothing, so its first message is the idle keep-alive.
    ingests = jobs.WatchEvents(jobs_pb2.WatchEventsRequest(kind="ingest", after_version=0), metadata=bearer(alice))
    assert [job.id for job in await jobs_until_finished(ingests, alice_asset.job_id)] == [alice_asset.job_id]
    poses = jobs.WatchEvents(jobs_pb2.WatchEventsRequest(kind="pose", after_version=0), metadata=bearer(alice))
    first = await asyncio.wait_for(poses.read(), _WATCH_TIMEOUT_S)
    poses.cancel()
    assert first.WhichOneof("event") == "keep_alive"


async def test_calls_without_a_valid_key_are_unauthenticated(platform: Platform, channel: grpc.aio.Channel) -> None:
    _, auth = await platform.tenant("acme")
    key_id = auth["Authorization"].split("_")[1]
    jobs = jobs_pb2_grpc.JobsStub(channel)
    for metadata in [
        (),
        bearer("not-a-key"),
        bearer("rf_unknown_secret"),
        bearer(f"rf_{key_id}_wrongsecret"),
        (("authorization", auth["Authorization"].replace("Bearer", "Basic")),),
    ]:
        assert await refusal(jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=metadata)) == (
            Code.UNAUTHENTICATED,
            "unauthenticated",
        ), metadata
    assert await refusal(jobs.WatchEvents(jobs_pb2.WatchEventsRequest())) == (Code.UNAUTHENTICATED, "unauthenticated")
    upload_call = assets_pb2_grpc.AssetsStub(channel).Upload(upload_requests(SPEECH / "jfk.wav"))
    assert await refusal(upload_call) == (Code.UNAUTHENTICATED, "unauthenticated")
    # A tenant's key is not the operator's.
    admin = admin_pb2_grpc.AdminStub(channel)
    assert await refusal(admin.ListTenants(admin_pb2.ListTenantsRequest(), metadata=bearer(auth))) == (
        Code.UNAUTHENTICATED,
        "unauthenticated",
    )
    assert await jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=bearer(auth)) == jobs_pb2.ListJobsResponse()

    # A revoked key stops working at once.
    keys = keys_pb2_grpc.ApiKeysStub(channel)
    doomed = await keys.CreateApiKey(keys_pb2.CreateApiKeyRequest(name="doomed"), metadata=bearer(auth))
    assert list(doomed.key.scopes) == [keys_pb2.SCOPE_READ, keys_pb2.SCOPE_WRITE]
    await jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=bearer(doomed.token))
    await keys.RevokeApiKey(keys_pb2.RevokeApiKeyRequest(key_id=doomed.key.id), metadata=bearer(auth))
    assert await refusal(jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=bearer(doomed.token))) == (
        Code.UNAUTHENTICATED,
        "unauthenticated",
    )


async def test_a_read_only_key_may_read_but_not_upload(platform: Platform, channel: grpc.aio.Channel) -> None:
    _, auth = await platform.tenant("acme")
    keys = keys_pb2_grpc.ApiKeysStub(channel)
    reader = await keys.CreateApiKey(
        keys_pb2.CreateApiKeyRequest(name="dashboard", scopes=[keys_pb2.SCOPE_READ]), metadata=bearer(auth)
    )
    assert (reader.key.name, list(reader.key.scopes)) == ("dashboard", [keys_pb2.SCOPE_READ])
    assets = assets_pb2_grpc.AssetsStub(channel)
    refused = await refusal(assets.Upload(upload_requests(SPEECH / "jfk.wav"), metadata=bearer(reader.token)))
    assert refused == (Code.PERMISSION_DENIED, "forbidden")
    assert await refusal(keys.ListApiKeys(keys_pb2.ListApiKeysRequest(), metadata=bearer(reader.token))) == (
        Code.PERMISSION_DENIED,
        "forbidden",
    )
    # Reading is allowed, and nothing was stored.
    assert list((await assets.ListAssets(assets_pb2.ListAssetsRequest(), metadata=bearer(reader.token))).assets) == []
    listed = await keys.ListApiKeys(keys_pb2.ListApiKeysRequest(), metadata=bearer(auth))
    assert reader.key.id in {key.id for key in listed.keys}
    assert all(not key.HasField("revoked_at") for key in listed.keys)


async def test_another_tenants_ids_answer_not_found_on_every_rpc(platform: Platform, channel: grpc.aio.Channel) -> None:
    _, alice = await platform.tenant("alice")
    _, mallory = await platform.tenant("mallory")
    assets = assets_pb2_grpc.AssetsStub(channel)
    uploads = assets_pb2_grpc.UploadsStub(channel)
    jobs = jobs_pb2_grpc.JobsStub(channel)
    keys = keys_pb2_grpc.ApiKeysStub(channel)
    asset = await upload(channel, alice, SPEECH / "jfk.wav")
    await watched(channel, alice, asset.job_id)
    pending = await uploads.CreateUpload(
        assets_pb2.CreateUploadRequest(filename="x.mp4", size_bytes=10), metadata=bearer(alice)
    )
    alice_key = (await keys.ListApiKeys(keys_pb2.ListApiKeysRequest(), metadata=bearer(alice))).keys[0]

    def reads(auth: dict[str, str]) -> dict[str, Any]:
        on = bearer(auth)
        return {
            "GetAsset": assets.GetAsset(assets_pb2.GetAssetRequest(asset_id=asset.id), metadata=on),
            "GetDownloadUrl": assets.GetDownloadUrl(assets_pb2.GetDownloadUrlRequest(asset_id=asset.id), metadata=on),
            "GetJob": jobs.GetJob(jobs_pb2.GetJobRequest(job_id=asset.job_id), metadata=on),
            "WatchJob": jobs.WatchJob(jobs_pb2.WatchJobRequest(job_id=asset.job_id), metadata=on),
            "GetUpload": uploads.GetUpload(assets_pb2.GetUploadRequest(asset_id=pending.asset_id), metadata=on),
        }

    on = bearer(mallory)
    writes = {
        "DeleteAsset": assets.DeleteAsset(assets_pb2.DeleteAssetRequest(asset_id=asset.id), metadata=on),
        "CompleteUpload": uploads.CompleteUpload(
            assets_pb2.CompleteUploadRequest(asset_id=pending.asset_id), metadata=on
        ),
        "AbortUpload": uploads.AbortUpload(assets_pb2.AbortUploadRequest(asset_id=pending.asset_id), metadata=on),
        "RevokeApiKey": keys.RevokeApiKey(keys_pb2.RevokeApiKeyRequest(key_id=alice_key.id), metadata=on),
        "RotateApiKey": keys.RotateApiKey(keys_pb2.RotateApiKeyRequest(key_id=alice_key.id), metadata=on),
    }
    for name, call in {**reads(mallory), **writes}.items():
        assert await refusal(call) == (Code.NOT_FOUND, "not_found"), name
    assert list((await assets.ListAssets(assets_pb2.ListAssetsRequest(), metadata=on)).assets) == []
    assert list((await jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=on)).jobs) == []

    # Alice still has every one of them.
    for name, call in reads(alice).items():
        if name == "WatchJob":
            assert [event async for event in call][-1].job.status == jobs_pb2.JOB_STATUS_SUCCEEDED
        else:
            await call
    listed = await keys.ListApiKeys(keys_pb2.ListApiKeysRequest(), metadata=bearer(alice))
    assert [(key.id, key.HasField("revoked_at")) for key in listed.keys] == [(alice_key.id, False)]


async def test_refused_uploads_answer_invalid_argument_with_their_code_and_leave_nothing(
    platform: Platform, channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    assets = assets_pb2_grpc.AssetsStub(channel)
    text = tmp_path / "notes.mp4"
    text.write_bytes(b"This is a text file pretending to be a video.\n" * 40)
    assert await refusal(assets.Upload(upload_requests(text), metadata=bearer(auth))) == (
        Code.INVALID_ARGUMENT,
        "unsupported_media",
    )

    async def data_first() -> AsyncIterator[assets_pb2.UploadRequest]:
        yield assets_pb2.UploadRequest(data=b"\x00" * 16)

    assert await refusal(assets.Upload(data_first(), metadata=bearer(auth))) == (
        Code.INVALID_ARGUMENT,
        "validation_failed",
    )
    nameless = upload_requests(SPEECH / "jfk.wav", filename="")
    assert await refusal(assets.Upload(nameless, metadata=bearer(auth))) == (Code.INVALID_ARGUMENT, "validation_failed")
    assert list((await assets.ListAssets(assets_pb2.ListAssetsRequest(), metadata=bearer(auth))).assets) == []
    jobs = jobs_pb2_grpc.JobsStub(channel)
    assert list((await jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=bearer(auth))).jobs) == []


async def test_presigned_uploads_and_imports_run_over_grpc(platform: Platform, channel: grpc.aio.Channel) -> None:
    _, auth = await platform.tenant("acme")
    uploads = assets_pb2_grpc.UploadsStub(channel)
    audio = SPEECH / "jfk.wav"
    created = await uploads.CreateUpload(
        assets_pb2.CreateUploadRequest(filename=audio.name, size_bytes=audio.stat().st_size, content_type="audio/wav"),
        metadata=bearer(auth),
    )
    assert created.part_count == len(created.parts) == 1
    incomplete = uploads.CompleteUpload(
        assets_pb2.CompleteUploadRequest(asset_id=created.asset_id), metadata=bearer(auth)
    )
    assert await refusal(incomplete) == (Code.FAILED_PRECONDITION, "upload_incomplete")
    async with httpx.AsyncClient() as s3:
        assert (await s3.put(created.parts[0].url, content=audio.read_bytes())).status_code == 200
    asset = await uploads.CompleteUpload(
        assets_pb2.CompleteUploadRequest(asset_id=created.asset_id), metadata=bearer(auth)
    )
    assert (asset.id, asset.source, asset.status) == (created.asset_id, "multipart", assets_pb2.ASSET_STATUS_PROCESSING)
    assert (await watched(channel, auth, asset.job_id))[-1].job.status == jobs_pb2.JOB_STATUS_SUCCEEDED

    too_large = uploads.CreateUpload(
        assets_pb2.CreateUploadRequest(filename="x.mp4", size_bytes=50 * 1024**3), metadata=bearer(auth)
    )
    assert await refusal(too_large) == (Code.RESOURCE_EXHAUSTED, "upload_too_large")
    assert await refusal(uploads.CreateUpload(assets_pb2.CreateUploadRequest(), metadata=bearer(auth))) == (
        Code.INVALID_ARGUMENT,
        "validation_failed",
    )

    imports = assets_pb2_grpc.ImportsStub(channel)
    for url, code in [("http://10.0.0.1/x.mp4", "url_forbidden"), ("file:///etc/passwd", "validation_failed")]:
        refused = await refusal(imports.CreateImport(assets_pb2.CreateImportRequest(url=url), metadata=bearer(auth)))
        assert refused == (Code.INVALID_ARGUMENT, code), url


async def test_the_operator_creates_and_lists_tenants(platform: Platform, channel: grpc.aio.Channel) -> None:
    admin = admin_pb2_grpc.AdminStub(channel)
    operator = bearer(OPERATOR_TOKEN)
    created = await admin.CreateTenant(admin_pb2.CreateTenantRequest(name="globex"), metadata=operator)
    platform.tenants.append(created.tenant.id)
    assert created.tenant.name == "globex"
    assert set(created.api_key.key.scopes) == {keys_pb2.SCOPE_READ, keys_pb2.SCOPE_WRITE, keys_pb2.SCOPE_ADMIN}
    # Its first key works at once, over either transport.
    jobs = jobs_pb2_grpc.JobsStub(channel)
    await jobs.ListJobs(jobs_pb2.ListJobsRequest(), metadata=bearer(created.api_key.token))
    assert (await platform.api.get("/v1/jobs", headers={"Authorization": f"Bearer {created.api_key.token}"})).is_success

    duplicate = admin.CreateTenant(admin_pb2.CreateTenantRequest(name="globex"), metadata=operator)
    assert await refusal(duplicate) == (Code.ALREADY_EXISTS, "conflict")
    invalid = admin.CreateTenant(admin_pb2.CreateTenantRequest(name="../etc"), metadata=operator)
    assert await refusal(invalid) == (Code.INVALID_ARGUMENT, "validation_failed")
    listed = await admin.ListTenants(admin_pb2.ListTenantsRequest(), metadata=operator)
    assert [(t.id, t.name) for t in listed.tenants] == [(created.tenant.id, "globex")]


def test_problem_codes_map_to_the_documented_grpc_statuses() -> None:
    documented = {
        "unauthenticated": Code.UNAUTHENTICATED,
        "forbidden": Code.PERMISSION_DENIED,
        "not_found": Code.NOT_FOUND,
        "conflict": Code.FAILED_PRECONDITION,
        "upload_incomplete": Code.FAILED_PRECONDITION,
        "upload_too_large": Code.RESOURCE_EXHAUSTED,
        "concurrent_jobs_exceeded": Code.RESOURCE_EXHAUSTED,
        "monthly_minutes_exceeded": Code.RESOURCE_EXHAUSTED,
        "duration_quota_exceeded": Code.RESOURCE_EXHAUSTED,
        "validation_failed": Code.INVALID_ARGUMENT,
        "unsupported_media": Code.INVALID_ARGUMENT,
        "media_unreadable": Code.INVALID_ARGUMENT,
        "url_fetch_failed": Code.UNAVAILABLE,
        "unavailable": Code.UNAVAILABLE,
        "internal_error": Code.INTERNAL,
    }
    assert {code: grpc_status(code) for code in documented} == documented
    assert grpc_status("conflict", conflict=Code.ALREADY_EXISTS) == Code.ALREADY_EXISTS
    # Every code, including ones added later, gets a definite status.
    assert all(grpc_status(code) not in {Code.OK, Code.UNKNOWN} for code in CODES)
