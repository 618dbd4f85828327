"""Projects and their exports on the real stack: a sequence of clips with
different sizes, frame rates and sound (one without) becomes one video of the
right length; clips are added, moved, duplicated, trimmed and deleted; a
cancelled export stores nothing; bad requests and other tenants are refused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import Platform
from media_corpus import LECTURE, MEDIA, POSE
from minio import Minio
from support import wait_for
from test_assets import upload, wait_until_done
from test_cli_against_stack import cli

pytestmark = pytest.mark.parametrize("platform", [{"render": {}}], indirect=True)
SINTEL = MEDIA / "av" / "sintel_trailer-720p.mp4"  # 1280x720, 24 fps, stereo 48 kHz, 52 s
SPORTS = POSE / "sports2d_demo.mp4"  # 1768x994, 30 fps, stereo 44.1 kHz
SILENT = POSE / "pose2sim_single_cam01.mp4"  # 1080x1920 portrait, 60 fps, 1.667 s, no sound


async def ready(platform: Platform, auth: dict[str, str], path: Path) -> str:
    accepted = await upload(platform, auth, path)
    assert accepted.status_code == 201, accepted.text
    asset = await wait_until_done(platform, auth, accepted.json()["id"])
    assert asset["status"] == "ready", asset
    return str(asset["id"])


async def post(platform: Platform, auth: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await platform.api.post(path, json=body, headers=auth)
    assert response.status_code in {200, 201, 202}, response.text
    found: dict[str, Any] = response.json()
    return found


async def project_with(platform: Platform, auth: dict[str, str], *items: dict[str, Any]) -> dict[str, Any]:
    project = await post(platform, auth, "/v1/projects", {"name": "launch video"})
    for item in items:
        project = await post(platform, auth, f"/v1/projects/{project['id']}/items", item)
    return project


async def finished_job(platform: Platform, auth: dict[str, str], job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = {}

    async def ended() -> bool:
        nonlocal job
        job = (await platform.api.get(f"/v1/jobs/{job_id}", headers=auth)).json()
        return job["status"] in {"succeeded", "failed"}

    await wait_for(ended, timeout_s=240, what="the export job to end")
    return job


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    found: dict[str, Any] = json.loads(out)
    return found


def frame_at(path: Path, at_s: float, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at_s}", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
         "-pix_fmt", "gray", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(height, width)


def loudest_db(path: Path, start_s: float, duration_s: float) -> float:
    """The peak level of the sound in a span, dBFS (-inf for digital silence)."""
    done = subprocess.run(
        ["ffmpeg", "-v", "info", "-ss", f"{start_s}", "-t", f"{duration_s}", "-i", str(path), "-vn",
         "-af", "astats=measure_overall=Peak_level:measure_perchannel=none", "-f", "null", "-"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    value = done.stderr.rsplit("Peak level dB:", 1)[1].split()[0]
    return float(value)


async def test_mixed_clips_export_to_one_video_as_long_as_the_clips_less_the_transitions(
    platform: Platform, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    lecture, silent, sports, sintel = [await ready(platform, auth, p) for p in (LECTURE, SILENT, SPORTS, SINTEL)]
    project = await project_with(
        platform,
        auth,
        {"asset_id": lecture, "trim_in": 5, "trim_out": 8},  # 720p25, mono 16 kHz
        {"asset_id": silent},  # portrait 60 fps, no sound: 1.667 s
        {"asset_id": sports, "trim_in": 1, "trim_out": 4},  # 1768x994 30 fps
        {"asset_id": sintel, "trim_in": 10, "trim_out": 13},  # 720p24 stereo
    )
    assert [i["asset_id"] for i in project["items"]] == [lecture, silent, sports, sintel]
    assert project["duration"] == pytest.approx(3 + 1.667 + 3 + 3, abs=0.01)
    transitions = [
        {"type": "crossfade", "duration": 0.5},
        {"type": "cut"},
        {"type": "fade_to_black", "duration": 0.5},
    ]
    job = await post(
        platform, auth, f"/v1/projects/{project['id']}/exports",
        {"resolution": "720p", "aspect": "16:9", "fps": 30, "quality": "low", "transitions": transitions},
    )  # fmt: skip
    assert job["kind"] == "export"
    job = await finished_job(platform, auth, job["id"])
    assert job["status"] == "succeeded", job
    assert "video" in job["outputs"]
    export = (await platform.api.get(f"/v1/exports/{job['resource_id']}", headers=auth)).json()
    expected = 3 + 1.667 + 3 + 3 - 0.5 - 0.5
    assert (export["status"], export["duration"]) == ("completed", pytest.approx(expected, abs=0.01))
    video = tmp_path / "export.mp4"
    async with httpx.AsyncClient() as http:
        video.write_bytes((await http.get(export["video_url"])).content)
    assert export["size_bytes"] == video.stat().st_size
    found = probe(video)
    streams = {s["codec_type"]: s for s in found["streams"]}
    assert len(found["streams"]) == 2
    picture, sound = streams["video"], streams["audio"]
    assert (picture["codec_name"], picture["width"], picture["height"], picture["r_frame_rate"]) == (
        "h264", 1280, 720, "30/1",
    )  # fmt: skip
    assert (sound["codec_name"], sound["channels"], sound["sample_rate"]) == ("aac", 2, "48000")
    assert float(found["format"]["duration"]) == pytest.approx(expected, abs=0.05)
    # The portrait clip (2.5 to 4.17 s, after the crossfade) is pillarboxed, and silent.
    frame = frame_at(video, 3.3, 1280, 720)
    assert frame[:, :200].mean() < 20
    assert frame[:, -200:].mean() < 20
    assert frame[:, 540:740].mean() > 40
    assert loudest_db(video, 3.1, 0.9) < -60  # past the crossfade's end (3.0 s), before the cut (4.17 s)
    assert loudest_db(video, 0.5, 1.5) > -40  # the lecture's speech


async def test_clips_are_added_moved_duplicated_trimmed_and_deleted(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    _, other = await platform.tenant("globex")
    sports, silent = await ready(platform, auth, SPORTS), await ready(platform, auth, SILENT)
    project = await project_with(platform, auth, {"asset_id": sports, "trim_out": 2}, {"asset_id": silent})
    base = f"/v1/projects/{project['id']}"
    first, second = (item["id"] for item in project["items"])
    # Insert at the front, move, duplicate, trim.
    project = await post(platform, auth, f"{base}/items", {"asset_id": silent, "trim_in": 0.5, "position": 0})
    assert [i["id"] for i in project["items"]][1:] == [first, second]
    inserted = project["items"][0]["id"]
    moved = await platform.api.patch(f"{base}/items/{inserted}", json={"position": 5}, headers=auth)
    assert [i["id"] for i in moved.json()["items"]] == [first, second, inserted]
    project = await post(platform, auth, f"{base}/items/{first}/duplicate", {})
    assert [i["asset_id"] for i in project["items"]] == [sports, sports, silent, silent]
    assert project["items"][1]["id"] not in {first, second, inserted}
    trimmed = await platform.api.patch(f"{base}/items/{first}", json={"trim_in": 1, "trim_out": 3.5}, headers=auth)
    item = trimmed.json()["items"][0]
    assert (item["trim_in"], item["trim_out"], item["duration"]) == (1, 3.5, 2.5)
    assert [i["position"] for i in trimmed.json()["items"]] == [0, 1, 2, 3]
    deleted = await platform.api.delete(f"{base}/items/{second}", headers=auth)
    assert [i["id"] for i in deleted.json()["items"]] == [first, project["items"][1]["id"], inserted]
    # Refusals.
    refusals = [
        ("post", f"{base}/items", {"asset_id": sports, "trim_in": 5, "trim_out": 4}, 422, "validation_failed"),
        ("post", f"{base}/items", {"asset_id": sports, "trim_out": 60}, 422, "validation_failed"),
        ("post", f"{base}/items", {"asset_id": "ast_missing"}, 404, "not_found"),
        ("patch", f"{base}/items/itm_missing", {"position": 0}, 404, "not_found"),
        ("post", f"{base}/exports", {"transitions": [{"type": "crossfade"}] * 3}, 422, "validation_failed"),
        (
            "post",
            f"{base}/exports",
            {"transitions": [{"type": "crossfade", "duration": 1.5}]},
            422,
            "validation_failed",
        ),
        ("post", f"{base}/exports", {"codec": "av1", "quality": "lossless"}, 422, "validation_failed"),
        ("post", "/v1/projects/prj_missing/exports", {}, 404, "not_found"),
    ]
    for method, path, body, status, code in refusals:
        response = await platform.api.request(method, path, json=body, headers=auth)
        assert (response.status_code, response.json().get("code")) == (status, code), (path, body, response.text)
    # Another tenant sees none of it.
    for method, path in [("get", base), ("delete", base), ("get", f"{base}/exports"), ("post", f"{base}/exports")]:
        response = await platform.api.request(method, path, json={} if method == "post" else None, headers=other)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (method, path)
    other_project = await post(platform, other, "/v1/projects", {"name": "theirs"})
    response = await platform.api.post(
        f"/v1/projects/{other_project['id']}/items", json={"asset_id": sports}, headers=other
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    listed = (await platform.api.get("/v1/projects?limit=1", headers=auth)).json()
    assert [p["id"] for p in listed["items"]] == [project["id"]]
    assert listed["next_cursor"] is None
    # An empty project has nothing to export.
    empty = await post(platform, auth, "/v1/projects", {"name": "empty"})
    response = await platform.api.post(f"/v1/projects/{empty['id']}/exports", json={}, headers=auth)
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")


async def test_a_cancelled_export_stops_and_stores_nothing(
    platform: Platform, minio_client: Minio, settings: Any
) -> None:
    tenant, auth = await platform.tenant("acme")
    sintel = await ready(platform, auth, SINTEL)
    project = await project_with(platform, auth, {"asset_id": sintel}, {"asset_id": sintel})
    job = await post(
        platform, auth, f"/v1/projects/{project['id']}/exports",
        {"resolution": "4K", "codec": "h265", "quality": "high", "transitions": [{"type": "crossfade"}]},
    )  # fmt: skip

    async def encoding() -> bool:
        found = (await platform.api.get(f"/v1/jobs/{job['id']}", headers=auth)).json()
        return bool(found["status"] == "running" and found["progress"] > 0.05)

    await wait_for(encoding, timeout_s=60, what="the export to be encoding")
    cancelled = await post(platform, auth, f"/v1/exports/{job['resource_id']}/cancel", {})
    assert (cancelled["status"], cancelled["error"]["code"]) == ("cancelled", "cancelled")
    ended = await finished_job(platform, auth, job["id"])
    assert (ended["status"], ended["error"]["code"]) == ("failed", "cancelled")
    again = await platform.api.post(f"/v1/exports/{job['resource_id']}/cancel", headers=auth)
    assert (again.status_code, again.json()["code"]) == (409, "export_finished")

    # The one worker (concurrency 1) is free again: it stopped FFmpeg rather than finishing the 4K encode.
    small = await project_with(platform, auth, {"asset_id": sintel, "trim_out": 1})
    second = await post(platform, auth, f"/v1/projects/{small['id']}/exports", {"resolution": "720p"})
    assert (await finished_job(platform, auth, second["id"]))["status"] == "succeeded"
    stored = minio_client.list_objects(settings.s3_bucket, prefix=f"render/{tenant}/exports/", recursive=True)
    assert [o.object_name for o in stored] == [f"render/{tenant}/exports/{second['resource_id']}.mp4"]
    export = (await platform.api.get(f"/v1/exports/{job['resource_id']}", headers=auth)).json()
    assert (export["status"], export["video_url"]) == ("cancelled", None)


async def test_the_cli_builds_a_project_and_exports_it(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    token = auth["Authorization"].removeprefix("Bearer ")

    async def run(*args: str) -> dict[str, Any]:
        code, out, err = await cli(platform, *args, "--json", api_key=token)
        assert code == 0, err
        found: dict[str, Any] = json.loads(out)
        return found

    project = await run("project", "create", "teaser")
    await run("project", "add", project["id"], str(SPORTS), "--in", "1", "--out", "3")
    made = await run("project", "add", project["id"], str(SILENT), "--at", "0")
    first = made["items"][0]["id"]
    assert made["items"][0]["duration"] == pytest.approx(1.667, abs=0.01)
    made = await run("project", "move", project["id"], first, "1")
    assert made["items"][1]["id"] == first
    exported = await run(
        "export", project["id"], "-o", str(tmp_path), "--resolution", "720p", "--aspect", "9:16",
        "--transition", "fade_to_black:0.4",
    )  # fmt: skip
    assert exported["status"] == "completed"
    assert exported["duration"] == pytest.approx(2 + 1.667 - 0.4, abs=0.01)
    streams = {s["codec_type"]: s for s in probe(tmp_path / exported["file"])["streams"]}
    assert (streams["video"]["width"], streams["video"]["height"]) == (720, 1280)
    history = await run("project", "exports", project["id"])
    assert [e["id"] for e in history["items"]] == [exported["id"]]
    # A refusal exits 1 with its code.
    code, _, err = await cli(platform, "export", project["id"], "-o", str(tmp_path), "--codec", "av1",
                             "--quality", "lossless", api_key=token)  # fmt: skip
    assert code == 1
    assert "validation_failed" in err


async def test_a_mix_makes_distinct_variants_with_their_tags(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    _, other = await platform.tenant("globex")
    silent = await ready(platform, auth, SILENT)
    talking = await ready(platform, auth, POSE / "pose2sim_single_cam02.mp4")  # with sound
    sports = await ready(platform, auth, SPORTS)
    groups = [[silent, talking], [sports, talking]]
    small = {"resolution": "720p", "quality": "low"}
    # Auto: 3 of the 4 combinations, no two the same.
    job = await post(platform, auth, "/v1/mixes", {"name": "ab", "groups": groups, "variants": 3, "settings": small})
    assert job["kind"] == "mix"
    job = await finished_job(platform, auth, job["id"])
    assert job["status"] == "succeeded", job
    assert sorted(job["outputs"]) == ["variant-01", "variant-02", "variant-03"]
    mix = (await platform.api.get(f"/v1/mixes/{job['resource_id']}", headers=auth)).json()
    combos = [tuple(v["asset_ids"]) for v in mix["variants"]]
    assert len(set(combos)) == 3
    assert all(c[0] in groups[0] and c[1] in groups[1] for c in combos)
    async with httpx.AsyncClient() as http:
        for variant in mix["variants"]:
            video = tmp_path / f"auto-{variant['index']}.mp4"
            video.write_bytes((await http.get(variant["video_url"])).content)
            found = probe(video)
            assert float(found["format"]["duration"]) == pytest.approx(variant["duration"], abs=0.05)
            tags = found["format"]["tags"]
            assert tags["title"] == f"ab #{variant['index'] + 1}"
            assert ", ".join(variant["asset_ids"]) in tags["comment"]
    # Manual: the combinations given, one with its own settings and tags.
    body = {
        "groups": groups,
        "mode": "manual",
        "settings": small,
        "metadata": {"artist": "acme"},
        "combinations": [
            {"picks": [1, 0]},
            {"picks": [0, 1], "settings": {"resolution": "720p", "aspect": "9:16", "quality": "low"},
             "metadata": {"title": "portrait cut"}},
        ],
    }  # fmt: skip
    job = await finished_job(platform, auth, (await post(platform, auth, "/v1/mixes", body))["id"])
    assert job["status"] == "succeeded", job
    mix = (await platform.api.get(f"/v1/mixes/{job['resource_id']}", headers=auth)).json()
    assert [v["asset_ids"] for v in mix["variants"]] == [[talking, sports], [silent, talking]]
    video = tmp_path / "portrait.mp4"
    async with httpx.AsyncClient() as http:
        video.write_bytes((await http.get(mix["variants"][1]["video_url"])).content)
    found = probe(video)
    picture = next(s for s in found["streams"] if s["codec_type"] == "video")
    assert (picture["width"], picture["height"]) == (720, 1280)
    assert (found["format"]["tags"]["title"], found["format"]["tags"]["artist"]) == ("portrait cut", "acme")
    # Refusals: more variants than combinations, a bad pick, another tenant's asset or mix.
    refusals = [
        ({"groups": groups, "variants": 5}, 422, "validation_failed"),
        ({"groups": groups, "mode": "manual", "combinations": [{"picks": [2, 0]}]}, 422, "validation_failed"),
        ({"groups": groups, "mode": "manual", "variants": 2}, 422, "validation_failed"),
    ]
    for refused_body, status, code in refusals:
        response = await platform.api.post("/v1/mixes", json=refused_body, headers=auth)
        assert (response.status_code, response.json()["code"]) == (status, code), refused_body
    response = await platform.api.post("/v1/mixes", json={"groups": groups, "variants": 1}, headers=other)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = await platform.api.get(f"/v1/mixes/{mix['id']}", headers=other)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_the_cli_mixes_variants_and_downloads_them(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    token = auth["Authorization"].removeprefix("Bearer ")
    other = POSE / "pose2sim_single_cam02.mp4"
    code, out, err = await cli(
        platform, "mix", "--group", str(SILENT), "--group", f"{other},{SILENT}", "--variants", "2",
        "--resolution", "720p", "--transition", "crossfade:0.3", "-o", str(tmp_path), "--json", api_key=token,
    )  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert [v["file"] for v in made["variants"]] == ["variant-01.mp4", "variant-02.mp4"]
    assert json.loads((tmp_path / "mix.json").read_text())["id"] == made["id"]
    for variant in made["variants"]:
        assert float(probe(tmp_path / variant["file"])["format"]["duration"]) == pytest.approx(
            variant["duration"], abs=0.05
        )
    code, _, err = await cli(platform, "mix", "--group", str(SILENT), "-o", str(tmp_path), api_key=token)
    assert code != 0
    assert "--variants" in err
