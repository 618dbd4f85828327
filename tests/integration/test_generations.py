"""AI generation through the gateway with the offline local provider: the
video, its asset, the cache, characters, cancellation and tenant isolation."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import WITH_AIGEN, Platform
from media_corpus import IMAGES, LECTURE
from support import wait_for
from test_assets import upload, wait_until_done

pytestmark = pytest.mark.parametrize("platform", [WITH_AIGEN], indirect=True)
LIGHTHOUSE = {"provider": "local", "prompt": "a lighthouse at dusk", "duration": 2, "resolution": "480p"}


async def generate(platform: Platform, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    """Request a generation and wait for its job to end; returns the job."""
    response = await platform.api.post("/v1/generations", json=body, headers=auth)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert job["kind"] == "generation"

    async def ended() -> bool:
        nonlocal job
        job = (await platform.api.get(f"/v1/jobs/{job['id']}", headers=auth)).json()
        return job["status"] in {"succeeded", "failed"}

    await wait_for(ended, timeout_s=120, what="the generation job to end")
    return job


async def generation(platform: Platform, auth: dict[str, str], generation_id: str) -> dict[str, Any]:
    response = await platform.api.get(f"/v1/generations/{generation_id}", headers=auth)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    found: dict[str, Any] = json.loads(out)
    return found


async def image_asset(platform: Platform, auth: dict[str, str], path: Path) -> str:
    accepted = await upload(platform, auth, path)
    assert accepted.status_code == 201, accepted.text
    asset = await wait_until_done(platform, auth, accepted.json()["id"])
    assert asset["status"] == "ready", asset
    return str(asset["id"])


async def test_the_local_provider_makes_a_playable_video_registered_as_an_asset(
    platform: Platform, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    job = await generate(platform, auth, **LIGHTHOUSE, aspect="9:16")
    assert job["status"] == "succeeded", job
    assert "video" in job["outputs"]
    made = await generation(platform, auth, job["resource_id"])
    assert (made["status"], made["provider"], made["model"], made["procedural"]) == (
        "succeeded", "local", "procedural-v1", True,
    )  # fmt: skip
    assert made["cost"]["micros"] == 0
    assert made["attempts"] == 1
    async with httpx.AsyncClient() as http:
        video = tmp_path / "video.mp4"
        video.write_bytes((await http.get(made["video_url"])).content)
    streams = {s["codec_type"]: s for s in probe(video)["streams"]}
    assert (streams["video"]["width"], streams["video"]["height"]) == (480, 854)
    assert abs(float(probe(video)["format"]["duration"]) - 2.0) < 0.1
    # The video is an asset like an upload: probed and processed by ingest.
    asset = await wait_until_done(platform, auth, made["asset_id"])
    assert asset["status"] == "ready", asset
    assert (asset["media"]["has_video"], asset["media"]["width"], asset["media"]["height"]) == (True, 480, 854)
    assert {"proxy", "thumbnail"} <= set(asset["derivatives"])


async def test_an_identical_request_is_answered_from_the_cache_unless_told_not_to(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    first = await generation(platform, auth, (await generate(platform, auth, **LIGHTHOUSE, seed=7))["resource_id"])
    again = await generation(platform, auth, (await generate(platform, auth, **LIGHTHOUSE, seed=7))["resource_id"])
    assert (again["status"], again["cached_from"], again["asset_id"]) == ("succeeded", first["id"], first["asset_id"])
    assert (again["cost"]["micros"], again["attempts"]) == (0, 0)
    estimate = await platform.api.post("/v1/generations:estimate", json={**LIGHTHOUSE, "seed": 7}, headers=auth)
    assert (estimate.status_code, estimate.json()["cached"]) == (200, True), estimate.text
    fresh_job = await generate(platform, auth, **LIGHTHOUSE, seed=7, cache=False)
    fresh = await generation(platform, auth, fresh_job["resource_id"])
    assert fresh["cached_from"] is None
    assert fresh["asset_id"] != first["asset_id"]
    other_seed = await generation(platform, auth, (await generate(platform, auth, **LIGHTHOUSE, seed=8))["resource_id"])
    assert other_seed["cached_from"] is None


async def test_a_first_frame_and_a_character_come_from_image_assets(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    astronaut = await image_asset(platform, auth, IMAGES / "astronaut.png")
    job = await generate(platform, auth, **LIGHTHOUSE, image_asset_id=astronaut)
    assert job["status"] == "succeeded", job

    created = await platform.api.post(
        "/v1/characters", json={"name": "Grace", "project": "docs", "image_asset_id": astronaut}, headers=auth
    )
    assert created.status_code == 201, created.text
    character = created.json()
    job = await generate(platform, auth, **LIGHTHOUSE, character_id=character["id"])
    assert job["status"] == "succeeded", job

    # A deactivated character cannot be used; reactivated, it can.
    patched = await platform.api.patch(f"/v1/characters/{character['id']}", json={"active": False}, headers=auth)
    assert patched.json()["active"] is False
    refused = await platform.api.post(
        "/v1/generations", json={**LIGHTHOUSE, "character_id": character["id"]}, headers=auth
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "character_inactive"), refused.text
    listed = (await platform.api.get("/v1/characters", params={"project": "docs"}, headers=auth)).json()
    assert [c["id"] for c in listed["items"]] == [character["id"]]
    assert (await platform.api.get("/v1/characters", params={"active": True}, headers=auth)).json()["items"] == []

    # A video is not an image.
    video = (await upload(platform, auth, LECTURE)).json()["id"]
    await wait_until_done(platform, auth, video)
    for path, body in (
        ("/v1/generations", {**LIGHTHOUSE, "image_asset_id": video}),
        ("/v1/characters", {"name": "Lecture", "image_asset_id": video}),
    ):
        response = await platform.api.post(path, json=body, headers=auth)
        assert (response.status_code, response.json()["code"]) == (422, "not_an_image"), response.text


async def test_bad_requests_are_refused_with_their_code_and_queue_nothing(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    cases = {
        "provider_not_configured": {**LIGHTHOUSE, "provider": "minimax"},
        "validation_failed": {**LIGHTHOUSE, "duration": 45},
        "not_found": {**LIGHTHOUSE, "character_id": "ch_missing"},
    }
    for code, body in cases.items():
        response = await platform.api.post("/v1/generations", json=body, headers=auth)
        assert response.json()["code"] == code, (code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    malformed = await platform.api.post("/v1/generations", json={**LIGHTHOUSE, "aspect": "4:3"}, headers=auth)
    assert malformed.status_code == 422
    assert (await platform.api.get("/v1/generations", headers=auth)).json()["items"] == []
    assert (await platform.api.get("/v1/jobs", headers=auth)).json()["items"] == []


async def test_another_tenants_generations_characters_and_images_are_not_found(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    _, intruder = await platform.tenant("intruder")
    astronaut = await image_asset(platform, auth, IMAGES / "astronaut.png")
    job = await generate(platform, auth, **LIGHTHOUSE)
    character = (
        await platform.api.post("/v1/characters", json={"name": "Grace", "image_asset_id": astronaut}, headers=auth)
    ).json()
    gen_id = job["resource_id"]
    for method, path, body in (
        ("GET", f"/v1/generations/{gen_id}", None),
        ("POST", f"/v1/generations/{gen_id}/cancel", None),
        ("GET", f"/v1/characters/{character['id']}", None),
        ("PATCH", f"/v1/characters/{character['id']}", {"name": "mine"}),
        ("DELETE", f"/v1/characters/{character['id']}", None),
        ("POST", "/v1/generations", {**LIGHTHOUSE, "image_asset_id": astronaut}),
        ("POST", "/v1/generations", {**LIGHTHOUSE, "character_id": character["id"]}),
        ("POST", "/v1/characters", {"name": "stolen", "image_asset_id": astronaut}),
    ):
        response = await platform.api.request(method, path, json=body, headers=intruder)
        assert response.status_code == 404, (method, path, response.text)
    assert (await platform.api.get("/v1/generations", headers=intruder)).json()["items"] == []
    assert (await platform.api.get(f"/v1/characters/{character['id']}", headers=auth)).status_code == 200


async def test_generations_are_listed_newest_first_with_filters_and_pages(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    made = [(await generate(platform, auth, **LIGHTHOUSE, seed=seed))["resource_id"] for seed in range(3)]
    first = (await platform.api.get("/v1/generations", params={"limit": 2}, headers=auth)).json()
    second = (
        await platform.api.get("/v1/generations", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth)
    ).json()
    assert [g["id"] for g in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None
    assert (await platform.api.get("/v1/generations", params={"status": "failed"}, headers=auth)).json()["items"] == []
    spend = (await platform.api.get("/v1/spend", headers=auth)).json()
    assert spend["spent"]["micros"] == 0
    assert [e["generation_id"] for e in spend["entries"]] == made[::-1]
