"""The video of a comparison: the reference and the attempt side by side,
time-aligned, each with its skeleton, from the CLI's `compare --video` to the
frames of the file; another tenant's comparison and video are not found."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import Platform
from media_corpus import POSE
from support import wait_for
from test_cli_against_stack import cli
from test_projects import finished_job as ended
from test_projects import post, probe, ready

pytestmark = pytest.mark.parametrize("platform", [{"pose": {}, "render": {}}], indirect=True)
REFERENCE, ATTEMPT = POSE / "pose2sim_single_cam01.mp4", POSE / "pose2sim_single_cam02.mp4"  # 1080x1920 each
REFERENCE_COLOUR, ATTEMPT_COLOUR = (0, 200, 255), (0, 255, 0)


def rgb_frame(path: Path, width: int, height: int, *, at_s: float = 0.0, scale: str = "") -> np.ndarray:
    graph = ["-vf", scale] if scale else []
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at_s}", "-i", str(path), *graph, "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.int16)


def near(image: np.ndarray, colour: tuple[int, int, int]) -> int:
    """Pixels within a small distance of ``colour`` (the encoder shifts colours a little)."""
    return int((np.abs(image - np.array(colour)).sum(axis=2) < 90).sum())


async def test_compare_video_shows_both_performances_aligned_with_their_skeletons(
    platform: Platform, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    token = auth["Authorization"].removeprefix("Bearer ")
    out_dir = tmp_path / "out"
    code, out, err = await cli(
        platform, "compare", str(REFERENCE), str(ATTEMPT), "--video", "-o", str(out_dir), "--json",
        api_key=token, timeout_s=300,
    )  # fmt: skip
    assert code == 0, err
    comparison: dict[str, Any] = json.loads(out)
    video = out_dir / comparison["video_file"]
    found = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(video)],
            check=True, capture_output=True, text=True,
        ).stdout
    )  # fmt: skip
    (stream,) = found["streams"]  # the picture alone
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 808, 720)
    assert float(found["format"]["duration"]) > 1.0
    frame = rgb_frame(video, 808, 720, at_s=0.5)
    left, right = frame[:, :404], frame[:, 404:]
    # Each subject's skeleton is drawn on its own side, in its own colour.
    assert near(left, REFERENCE_COLOUR) > 300
    assert near(right, ATTEMPT_COLOUR) > 300
    assert near(left, ATTEMPT_COLOUR) < near(left, REFERENCE_COLOUR) / 10
    # The reference plays on the left, the attempt on the right (the first frames, before any skeleton moved).
    first = rgb_frame(video, 808, 720)
    fitted = "scale=404:720:force_original_aspect_ratio=decrease,pad=404:720:(ow-iw)/2:(oh-ih)/2"
    reference, attempt = rgb_frame(REFERENCE, 404, 720, scale=fitted), rgb_frame(ATTEMPT, 404, 720, scale=fitted)
    assert np.abs(first[:, :404] - reference).mean() < np.abs(first[:, :404] - attempt).mean() / 2
    assert np.abs(first[:, 404:] - attempt).mean() < np.abs(first[:, 404:] - reference).mean() / 2

    # Another tenant sees neither the comparison's video nor can make one.
    _, other = await platform.tenant("globex")
    job = await platform.api.post(f"/v1/comparisons/{comparison['id']}/video", json={}, headers=other)
    assert (job.status_code, job.json()["code"]) == (404, "not_found")
    listed = (await platform.api.get("/v1/jobs", params={"kind": "comparevideo"}, headers=auth)).json()["items"]
    (made,) = listed
    assert made["status"] == "succeeded"
    assert "video" in made["outputs"]
    theirs = await platform.api.get(f"/v1/comparison-videos/{made['resource_id']}", headers=other)
    assert (theirs.status_code, theirs.json()["code"]) == (404, "not_found")
    mine = (await platform.api.get(f"/v1/comparison-videos/{made['resource_id']}", headers=auth)).json()
    assert (mine["status"], mine["comparison_id"], mine["format"]) == ("completed", comparison["id"], "mp4")
    refused = await platform.api.post(f"/v1/comparisons/{comparison['id']}/video", json={"format": "gif"}, headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed")


async def test_a_practice_session_scores_each_recording_and_exports_both_videos(
    platform: Platform, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    _, other = await platform.tenant("globex")
    reference, attempt = await ready(platform, auth, REFERENCE), await ready(platform, auth, ATTEMPT)
    session = await post(platform, auth, "/v1/sessions", {"name": "warm-up", "reference_asset_id": reference})
    base = f"/v1/sessions/{session['id']}"
    session = await post(platform, auth, f"{base}/recordings", {"asset_id": attempt})
    (first,) = session["recordings"]
    assert (first["reference_start_s"], first["reference_end_s"]) == (0.0, pytest.approx(1.667, abs=0.01))
    # The reference is used up: the next recording names its span.
    refused = await platform.api.post(f"{base}/recordings", json={"asset_id": reference}, headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed")
    body = {"asset_id": reference, "reference_span": {"start_s": 0.2, "end_s": 1.5}}
    session = await post(platform, auth, f"{base}/recordings", body)
    assert [r["position"] for r in session["recordings"]] == [0, 1]

    async def scored() -> bool:
        nonlocal session
        session = (await platform.api.get(base, headers=auth)).json()
        return bool(session["completed"] == 2)

    await wait_for(scored, timeout_s=120, what="both recordings to be scored")
    scores = [r["score"] for r in session["recordings"]]
    assert all(0 < score <= 100 for score in scores)
    assert min(scores) <= session["score"] <= max(scores)
    jobs = (await platform.api.get("/v1/jobs", params={"kind": "compare"}, headers=auth)).json()["items"]
    assert {j["resource_id"] for j in jobs} == {r["comparison_id"] for r in session["recordings"]}
    # Both videos.
    for kind, container in (("solo", "mp4"), ("comparison", "webm")):
        body = {"kind": kind, "format": container, "resolution": "480p", "layout": "interleaved"}
        job = await post(platform, auth, f"{base}/exports", body)
        assert job["kind"] == "sessionexport"
        job = await ended(platform, auth, job["id"])
        assert job["status"] == "succeeded", job
        made = (await platform.api.get(f"/v1/session-exports/{job['resource_id']}", headers=auth)).json()
        video = tmp_path / f"{kind}.{container}"
        async with httpx.AsyncClient() as http:
            video.write_bytes((await http.get(made["video_url"])).content)
        found = probe(video)
        picture = next(s for s in found["streams"] if s["codec_type"] == "video")
        assert float(found["format"]["duration"]) == pytest.approx(made["duration"], abs=0.1)
        if kind == "solo":
            assert (picture["codec_name"], picture["height"]) == ("h264", 480)
            assert made["duration"] == pytest.approx(1.741 + 1.667, abs=0.05)
        else:  # interleaved: one panel at a time, a second of the reference then the same of the attempt
            assert (picture["codec_name"], picture["width"], picture["height"]) == ("vp9", 270, 480)
            assert made["layout"] == "interleaved"
    # Another tenant's session is not found, for reading and for adding.
    for method, path, payload in (("get", base, None), ("post", f"{base}/recordings", {"asset_id": attempt})):
        response = await platform.api.request(method, path, json=payload, headers=other)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


async def test_the_cli_runs_a_practice_session(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    token = auth["Authorization"].removeprefix("Bearer ")

    async def run(*args: str) -> dict[str, Any]:
        code, out, err = await cli(platform, *args, "--json", api_key=token, timeout_s=300)
        assert code == 0, err
        found: dict[str, Any] = json.loads(out)
        return found

    made = await run("session", "create", str(REFERENCE), "--name", "drills")
    scored = await run("session", "add", made["id"], str(ATTEMPT))  # waits for the score
    (recording,) = scored["recordings"]
    assert recording["status"] == "completed"
    assert scored["score"] == pytest.approx(recording["score"])
    assert (await run("session", "get", made["id"]))["completed"] == 1
    video = await run("session", "export", made["id"], "--kind", "solo", "-o", str(tmp_path), "--resolution", "480p")
    assert (tmp_path / video["file"]).stat().st_size > 0
    assert video["duration"] == pytest.approx(1.741, abs=0.05)
