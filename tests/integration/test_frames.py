"""Frames of a video asset as new image assets: the first, the last and
those at timestamps are the source's own frames, and bad requests are
refused with their reasons."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import Platform
from media_corpus import IMAGES, POSE
from test_assets import upload, wait_until_done
from test_cli_against_stack import cli

pytestmark = pytest.mark.parametrize("platform", [{"render": {}}], indirect=True)
# 1768x994, 30 fps, 230 frames (7.67 s), a person moving: neighbouring frames differ.
SOURCE = POSE / "sports2d_demo.mp4"
FPS, FRAMES, WIDTH, HEIGHT = 30, 230, 1768, 994


def pixels(path: Path, *, frame: int | None = None) -> np.ndarray:
    """RGB pixels of an image, or of one frame of a video by its index."""
    select = ["-vf", f"select=eq(n\\,{frame})"] if frame is not None else []
    command = ["ffmpeg", "-v", "error", "-i", str(path), *select, "-frames:v", "1", "-f", "rawvideo"]
    raw = subprocess.run([*command, "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).astype(np.int16)


def difference(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a - b).mean())


async def ready_video(platform: Platform, auth: dict[str, str], path: Path) -> str:
    accepted = await upload(platform, auth, path)
    assert accepted.status_code == 201, accepted.text
    asset = await wait_until_done(platform, auth, accepted.json()["id"])
    assert asset["status"] == "ready", asset
    return str(asset["id"])


async def frames(platform: Platform, auth: dict[str, str], asset_id: str, **body: Any) -> httpx.Response:
    """The frames request, right after the asset became ready."""
    return await platform.api.post(f"/v1/assets/{asset_id}/frames", json=body, headers=auth)


async def original(platform: Platform, auth: dict[str, str], asset_id: str, into: Path) -> Path:
    link = (await platform.api.get(f"/v1/assets/{asset_id}/download", headers=auth)).json()
    async with httpx.AsyncClient() as http:
        into.write_bytes((await http.get(link["url"])).content)
    return into


async def test_first_last_and_timed_frames_are_the_sources_frames(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    video = await ready_video(platform, auth, SOURCE)
    cases: list[tuple[dict[str, Any], list[int]]] = [  # (request, the frames' indexes in the source)
        ({"position": "first"}, [0]),
        ({"position": "last"}, [FRAMES - 1]),
        ({"timestamps": [2.0, 5.01]}, [60, 151]),  # 5.01 s: the first frame at or after it is 151 (5.0333 s)
    ]
    for body, indexes in cases:
        response = await frames(platform, auth, video, **body)
        assert response.status_code == 201, response.text
        made = response.json()["frames"]
        for frame, index in zip(made, indexes, strict=True):
            assert frame["timestamp_s"] == pytest.approx(index / FPS, abs=1e-3)
            image = await wait_until_done(platform, auth, frame["asset"]["id"])
            assert image["status"] == "ready", image
            media = image["media"]
            assert (media["is_image"], media["width"], media["height"]) == (True, WIDTH, HEIGHT)
            path = await original(platform, auth, image["id"], tmp_path / f"{index}.png")
            taken = pixels(path)
            assert difference(taken, pixels(SOURCE, frame=index)) < 0.05  # PNG: the same pixels
            # The neighbouring frame differs by 0.33 to 3.6 on average (a still background, a moving person).
            neighbour = index - 1 if index else 1
            assert difference(taken, pixels(SOURCE, frame=neighbour)) > 0.2


async def test_jpeg_frames_at_a_chosen_quality(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    video = await ready_video(platform, auth, SOURCE)
    sizes = {}
    for quality in (20, 95):
        response = await frames(platform, auth, video, timestamps=[3.0], format="jpg", quality=quality)
        assert response.status_code == 201, response.text
        image = await wait_until_done(platform, auth, response.json()["frames"][0]["asset"]["id"])
        assert (image["status"], image["content_type"]) == ("ready", "image/jpeg"), image
        path = await original(platform, auth, image["id"], tmp_path / f"{quality}.jpg")
        assert difference(pixels(path), pixels(SOURCE, frame=90)) < 6.0
        sizes[quality] = path.stat().st_size
    assert sizes[20] < sizes[95] / 2


async def test_bad_requests_are_refused_with_their_reasons(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    _, other = await platform.tenant("globex")
    video = await ready_video(platform, auth, SOURCE)
    image = await ready_video(platform, auth, IMAGES / "astronaut.png")
    refusals: list[tuple[str, dict[str, Any], int, str]] = [
        (video, {"timestamps": [8.5]}, 422, "validation_failed"),  # past the end
        (video, {"timestamps": [-1.0]}, 422, "validation_failed"),
        (video, {"timestamps": [1.0], "position": "first"}, 422, "validation_failed"),
        (video, {}, 422, "validation_failed"),
        (video, {"timestamps": [0.1] * 21}, 422, "validation_failed"),
        (video, {"position": "middle"}, 422, "validation_failed"),
        (video, {"position": "first", "format": "gif"}, 422, "validation_failed"),
        (image, {"position": "first"}, 422, "no_video"),
        ("ast_doesnotexist", {"position": "first"}, 404, "not_found"),
    ]
    for asset_id, body, status, code in refusals:
        response = await frames(platform, auth, asset_id, **body)
        assert (response.status_code, response.json()["code"]) == (status, code), (body, response.text)
    # Another tenant's asset does not exist for this one.
    response = await frames(platform, other, video, position="first")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    # Nothing was made by the refusals: the tenant has its two uploads only.
    listed = (await platform.api.get("/v1/assets", headers=auth)).json()["items"]
    assert sorted(a["id"] for a in listed) == sorted([video, image])


async def test_the_cli_uploads_takes_the_last_frame_and_downloads_it(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    token = auth["Authorization"].removeprefix("Bearer ")
    out_dir = tmp_path / "out"
    code, out, err = await cli(platform, "frames", str(SOURCE), "--last", "-o", str(out_dir), "--json", api_key=token)
    assert code == 0, err
    (frame,) = json.loads(out)["frames"]
    assert frame["timestamp_s"] == pytest.approx((FRAMES - 1) / FPS, abs=1e-3)
    assert difference(pixels(out_dir / frame["file"]), pixels(SOURCE, frame=FRAMES - 1)) < 0.05
    # One choice of frames, or a usage error that says so.
    code, _, err = await cli(platform, "frames", frame["asset"]["id"], "--first", "--last", api_key=token)
    assert code != 0
    assert "exactly one" in err
