"""Assets end to end: upload through the gateway, validation and derivatives in ingest."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import httpx
from conftest import Platform
from support import wait_for

ROOT = Path(__file__).resolve().parents[2]
MEDIA = ROOT.parent / "shared" / "media"
LECTURE = MEDIA / "av" / "lecture_composite.mp4"


async def upload(platform: Platform, auth: dict[str, str], path: Path, name: str | None = None) -> httpx.Response:
    with path.open("rb") as file:
        files = {"file": (name or path.name, file, "video/mp4")}
        return await platform.api.post("/v1/assets", files=files, headers=auth)


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
