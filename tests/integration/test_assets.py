"""Assets end to end: upload through the gateway, validation and derivatives in ingest."""

from __future__ import annotations

import uuid
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import figures
import httpx
import pytest
from conftest import Platform
from media_corpus import IMAGES, LECTURE, SPEECH, bad_inputs, canary, ffmpeg, truncated_after_header
from minio import Minio
from support import wait_for

from reelforge.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from reelforge_common.grpc_server import insecure_channel


async def upload(platform: Platform, auth: dict[str, str], path: Path) -> httpx.Response:
    with path.open("rb") as file:
        return await platform.api.post("/v1/assets", files={"file": (path.name, file, "video/mp4")}, headers=auth)


def stored_objects(minio_client: Minio, tenant: str) -> list[str]:
    objects = minio_client.list_objects("reelforge", prefix=f"ingest/{tenant}/", recursive=True)
    return [str(o.object_name) for o in objects]


async def wait_until_done(platform: Platform, auth: dict[str, str], asset_id: str) -> dict[str, Any]:
    latest: dict[str, Any] = {}

    async def done() -> bool:
        nonlocal latest
        latest = (await platform.api.get(f"/v1/assets/{asset_id}", headers=auth)).json()
        return latest["status"] in {"ready", "failed"}

    await wait_for(done, timeout_s=120, what=f"asset {asset_id} to be processed")
    return latest


async def test_a_streamed_upload_becomes_a_ready_asset_with_its_derivatives(platform: Platform, tmp_path: Path) -> None:
    _tenant, auth = await platform.tenant("acme")
    response = await upload(platform, auth, LECTURE)
    assert response.status_code == 201, response.text
    accepted = response.json()
    assert accepted["status"] == "processing"
    assert accepted["size_bytes"] == LECTURE.stat().st_size
    media = accepted["media"]
    assert (media["width"], media["height"], media["has_video"], media["has_audio"]) == (1280, 720, True, True)
    assert round(media["duration_s"]) == 40

    asset = await wait_until_done(platform, auth, accepted["id"])
    assert asset["status"] == "ready", asset
    assert set(asset["derivatives"]) == {"thumbnail", "filmstrip", "audio", "proxy"}
    async with httpx.AsyncClient() as http:
        files = {name: await http.get(url) for name, url in asset["derivatives"].items()}
    assert all(r.status_code == 200 for r in files.values())
    assert files["thumbnail"].content[:3] == b"\xff\xd8\xff"
    (tmp_path / "audio.wav").write_bytes(files["audio"].content)
    with wave.open(str(tmp_path / "audio.wav")) as audio:
        assert (audio.getframerate(), audio.getnchannels()) == (16000, 1)
        assert 39 < audio.getnframes() / 16000 <= 40

    job = (await platform.api.get(f"/v1/jobs/{accepted['job_id']}", headers=auth)).json()
    assert (job["kind"], job["resource_id"]) == ("ingest", accepted["id"])

    async def job_succeeded() -> bool:
        job = (await platform.api.get(f"/v1/jobs/{accepted['job_id']}", headers=auth)).json()
        return bool(job["status"] == "succeeded" and job["progress"] == 1.0)

    await wait_for(job_succeeded, what="ingest job to succeed")
    outputs = (await platform.api.get(f"/v1/jobs/{accepted['job_id']}", headers=auth)).json()["outputs"]
    assert set(outputs) == {"original", "thumbnail", "filmstrip", "audio", "proxy"}
    async with httpx.AsyncClient() as http:
        original = await http.get(outputs["original"]["url"])
        thumbnail = await http.get(outputs["thumbnail"]["url"])
    assert original.content == LECTURE.read_bytes()
    assert thumbnail.content[:3] == b"\xff\xd8\xff"


async def test_an_audio_only_asset_is_valid_and_flagged(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    response = await upload(platform, auth, SPEECH / "jfk.wav")
    assert response.status_code == 201, response.text
    assert (response.json()["media"]["has_video"], response.json()["media"]["has_audio"]) == (False, True)
    asset = await wait_until_done(platform, auth, response.json()["id"])
    assert asset["status"] == "ready", asset
    assert set(asset["derivatives"]) == {"audio"}


async def test_still_images_are_image_assets_with_a_thumbnail_only(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    webp = tmp_path / "frame.webp"
    ffmpeg("-i", str(IMAGES / "astronaut.png"), str(webp))
    for path, size, codec in (
        (IMAGES / "astronaut.png", (512, 512), "png"),
        (IMAGES / "grace_hopper.jpg", (512, 600), "mjpeg"),
        (webp, (512, 512), "webp"),
    ):
        response = await upload(platform, auth, path)
        assert response.status_code == 201, response.text
        media = response.json()["media"]
        assert (media["is_image"], media["has_video"], media["has_audio"]) == (True, False, False), media
        assert ((media["width"], media["height"]), media["video_codec"], media["duration_s"]) == (size, codec, 0)
        asset = await wait_until_done(platform, auth, response.json()["id"])
        assert asset["status"] == "ready", asset
        assert set(asset["derivatives"]) == {"thumbnail"}
        async with httpx.AsyncClient() as http:
            assert (await http.get(asset["derivatives"]["thumbnail"])).content[:3] == b"\xff\xd8\xff"
    # Nothing can clip or analyse a picture: the refusal names the reason.
    clip = await platform.api.post("/v1/clip-jobs", json={"asset_id": asset["id"]}, headers=auth)
    assert (clip.status_code, clip.json()["code"]) == (422, "no_video"), clip.text


async def test_an_upload_retried_with_the_same_job_id_answers_the_same_asset(platform: Platform) -> None:
    tenant, auth = await platform.tenant("acme")
    job_id = str(uuid.uuid4())

    async def chunks() -> AsyncIterator[ingest_pb2.UploadChunk]:
        start = ingest_pb2.UploadStart(tenant_id=tenant, job_id=job_id, filename="a.png", content_type="image/png")
        yield ingest_pb2.UploadChunk(start=start)
        yield ingest_pb2.UploadChunk(data=(IMAGES / "astronaut.png").read_bytes())

    assert platform.ingest is not None
    async with insecure_channel(f"127.0.0.1:{platform.ingest.grpc_port}") as channel:
        stub = ingest_pb2_grpc.IngestStub(channel)
        first, again = [await stub.Upload(chunks()) for _ in range(2)]
    assert first.id == again.id
    assert len((await platform.api.get("/v1/assets", headers=auth)).json()["items"]) == 1


@pytest.mark.security
async def test_bad_inputs_are_refused_with_their_code_and_leave_nothing_behind(
    platform: Platform, tmp_path: Path, minio_client: Minio
) -> None:
    tenant, auth = await platform.tenant("acme")
    wrong: dict[str, tuple[int, str, str]] = {}
    async with canary() as bird:
        corpus = bad_inputs(tmp_path, bird.port)
        for expected, path in corpus.items():
            response = await upload(platform, auth, path)
            answer = (response.status_code, response.headers["content-type"], response.json().get("code", ""))
            if answer[1:] != ("application/problem+json", expected.split("/")[0]) or answer[0] not in {413, 415, 422}:
                wrong[expected] = answer
        connections = bird.connections
    figures.record(
        "security", "malicious media corpus refused at upload", 1, int(not wrong and not connections),
        f"{len(corpus) - len(wrong)}/{len(corpus)} files refused with their codes, canary connections {connections}",
    )  # fmt: skip
    assert wrong == {}
    assert connections == 0
    assert (await platform.api.get("/v1/assets", headers=auth)).json()["items"] == []
    assert stored_objects(minio_client, tenant) == []
    jobs = (await platform.api.get("/v1/jobs", headers=auth)).json()["items"]
    assert jobs == []
    assert platform.ingest is not None
    async with httpx.AsyncClient() as http:
        for service in (platform.gateway, platform.ingest):
            assert (await http.get(f"http://127.0.0.1:{service.http_port}/readyz")).status_code == 200
    # And the services still accept good media.
    assert (await upload(platform, auth, SPEECH / "jfk.wav")).status_code == 201


async def test_media_that_fails_to_decode_becomes_a_failed_asset_with_the_reason(
    platform: Platform, tmp_path: Path, minio_client: Minio
) -> None:
    tenant, auth = await platform.tenant("acme")
    response = await upload(platform, auth, truncated_after_header(tmp_path))
    assert response.status_code == 201, response.text
    asset = await wait_until_done(platform, auth, response.json()["id"])
    assert asset["status"] == "failed"
    assert asset["error"]["code"] == "media_unreadable"
    assert asset["derivatives"] == {}
    assert stored_objects(minio_client, tenant) == []

    async def job_failed() -> bool:
        job = (await platform.api.get(f"/v1/jobs/{asset['job_id']}", headers=auth)).json()
        return bool(job["status"] == "failed" and job["error"]["code"] == "media_unreadable")

    await wait_for(job_failed, what="the ingest job to fail with the reason")


async def test_deleting_an_asset_removes_its_objects_and_record(platform: Platform, minio_client: Minio) -> None:
    tenant, auth = await platform.tenant("acme")
    accepted = (await upload(platform, auth, SPEECH / "jfk.wav")).json()
    await wait_until_done(platform, auth, accepted["id"])
    assert stored_objects(minio_client, tenant) != []
    download = (await platform.api.get(f"/v1/assets/{accepted['id']}/download", headers=auth)).json()
    async with httpx.AsyncClient() as http:
        assert (await http.get(download["url"])).content == (SPEECH / "jfk.wav").read_bytes()
    assert (await platform.api.delete(f"/v1/assets/{accepted['id']}", headers=auth)).status_code == 204
    assert (await platform.api.get(f"/v1/assets/{accepted['id']}", headers=auth)).status_code == 404
    assert stored_objects(minio_client, tenant) == []
    assert (await platform.api.delete(f"/v1/assets/{accepted['id']}", headers=auth)).status_code == 404
