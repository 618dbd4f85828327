"""The main job end to end: a long video in, its best moments out as captioned vertical clips."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import WITH_CLIPS, Platform
from media_corpus import LECTURE, SPEECH, truncated_after_header
from support import wait_for
from test_imports import MEDIA_HOST, media_server
from test_transcription import ready_asset

from reelforge_pose.analysis import analyse
from reelforge_pose.engine import EngineConfig, PoseEngine
from reelforge_pose.skeleton import Landmark

pytestmark = pytest.mark.parametrize("platform", [WITH_CLIPS], indirect=True)
SHORT = {"count": 3, "min_duration": 5, "max_duration": 15}
TARGET_LUFS = -14.0


async def start(platform: Platform, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await platform.api.post("/v1/clip-jobs", json=body, headers=auth)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert job["kind"] == "clipjob"
    return job


async def finished(platform: Platform, auth: dict[str, str], job: dict[str, Any]) -> dict[str, Any]:
    async def ended() -> bool:
        nonlocal job
        job = (await platform.api.get(f"/v1/jobs/{job['id']}", headers=auth)).json()
        return job["status"] in {"succeeded", "failed"}

    await wait_for(ended, timeout_s=600, what="the clip job to end")
    return job


async def clip_job(platform: Platform, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    """Run a clip job to success; returns the clip job."""
    job = await finished(platform, auth, await start(platform, auth, **body))
    assert job["status"] == "succeeded", job
    found = await platform.api.get(f"/v1/clip-jobs/{job['resource_id']}", headers=auth)
    assert found.status_code == 200, found.text
    clips: dict[str, Any] = found.json()
    assert clips["status"] == "completed"
    return clips


async def download(url: str, target: Path) -> Path:
    async with httpx.AsyncClient(timeout=120) as plain:
        response = await plain.get(url)
    assert response.status_code == 200
    target.write_bytes(response.content)
    return target


def probe(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def integrated_loudness(path: Path) -> float:
    done = subprocess.run(
        ["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.findall(r"I:\s+(-?[\d.]+) LUFS", done.stderr)
    return float(found[-1])


def frame(path: Path, at_s: float, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at_s}", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
         "-pix_fmt", "gray", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(height, width).astype(np.float32)


async def words_of(platform: Platform, auth: dict[str, str], asset_id: str) -> list[dict[str, Any]]:
    document = (await platform.api.get(f"/v1/transcripts/{asset_id}", headers=auth)).json()
    return [word for segment in document["segments"] for word in segment["words"]]


async def test_a_talk_becomes_three_captioned_vertical_clips(platform: Platform, tmp_path: Path) -> None:
    _tenant, auth = await platform.tenant("acme")
    asset_id = await ready_asset(platform, auth, LECTURE, "video/mp4")
    clips = await clip_job(platform, auth, asset_id=asset_id, **SHORT)
    assert [clip["index"] for clip in clips["clips"]] == [0, 1, 2]
    scores = [clip["score"] for clip in clips["clips"]]
    assert scores == sorted(scores, reverse=True)
    words = await words_of(platform, auth, asset_id)
    engine = PoseEngine(EngineConfig())
    spans = []
    for clip in clips["clips"]:
        assert 5 - 0.5 <= clip["duration_s"] <= 15 + 0.5, clip
        assert {r["feature"] for r in clip["reasons"]} == {
            "hook", "self_contained", "coherence", "speech_energy", "pace", "motion",
        }  # fmt: skip
        assert clip["title"]
        assert clip["excerpt"]
        assert (clip["width"], clip["height"], clip["framing"]) == (1080, 1920, "subject")
        # The cut falls between words: after the previous word, before the first one...
        inside = [w for w in words if w["start"] >= clip["start_s"] - 1e-6 and w["end"] <= clip["end_s"] + 1e-6]
        assert inside, clip
        assert all(not (w["start"] < clip["start_s"] < w["end"]) for w in words), "cut mid-word at the start"
        assert all(not (w["start"] < clip["end_s"] < w["end"]) for w in words), "cut mid-word at the end"
        assert " ".join(w["text"].strip() for w in inside).lower().replace(",", "")[:20] in clip[
            "excerpt"
        ].lower().replace(",", "")
        spans.append((clip["start_s"], clip["end_s"]))
        video = await download(clip["video"]["url"], tmp_path / f"{clip['index']}.mp4")
        info = probe(video)
        streams = {stream["codec_type"]: stream for stream in info["streams"]}
        assert (streams["video"]["codec_name"], streams["video"]["width"], streams["video"]["height"]) == (
            "h264", 1080, 1920,
        )  # fmt: skip
        assert float(info["format"]["duration"]) == pytest.approx(clip["duration_s"], abs=0.15)
        assert streams["audio"]["codec_name"] == "aac"
        assert integrated_loudness(video) == pytest.approx(TARGET_LUFS, abs=1.0)
        # The person, in the left third of the 16:9 source, is followed: in every
        # sampled frame of the 9:16 clip their face is well inside the picture and
        # their shoulders are centred (a portrait this wide cannot keep both shoulders whole).
        track = analyse(engine, video, fps=2, max_people=1)
        image, _world = track.subject()
        assert not np.isnan(image[:, 0, 0]).any(), "the person left the frame"
        assert ((image[:, Landmark.NOSE, 0] > 0.15) & (image[:, Landmark.NOSE, 0] < 0.85)).all()
        middle = (image[:, Landmark.LEFT_SHOULDER, 0] + image[:, Landmark.RIGHT_SHOULDER, 0]) / 2
        assert ((middle > 0.3) & (middle < 0.7)).all(), middle
        thumbnail = await download(clip["thumbnail"]["url"], tmp_path / f"{clip['index']}.jpg")
        assert probe(thumbnail)["streams"][0]["width"] == 1080
        subtitles = await download(clip["subtitles"]["url"], tmp_path / f"{clip['index']}.srt")
        assert "-->" in subtitles.read_text()
    spans.sort()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), "clips overlap"


async def test_captions_a_prompt_and_reused_analyses(platform: Platform, tmp_path: Path) -> None:
    _tenant, auth = await platform.tenant("acme")
    asset_id = await ready_asset(platform, auth, LECTURE, "video/mp4")
    one = {"count": 1, "min_duration": 5, "max_duration": 15}
    plain = await clip_job(platform, auth, asset_id=asset_id, captions=None, **one)
    captioned = await clip_job(platform, auth, asset_id=asset_id, **one)
    # The second job reused the first one's transcript and pose track.
    assert (captioned["clips"][0]["start_s"], captioned["clips"][0]["end_s"]) == (
        plain["clips"][0]["start_s"], plain["clips"][0]["end_s"],
    )  # fmt: skip
    bare = await download(plain["clips"][0]["video"]["url"], tmp_path / "plain.mp4")
    burned = await download(captioned["clips"][0]["video"]["url"], tmp_path / "captioned.mp4")
    difference = np.abs(frame(bare, 2.0, 1080, 1920) - frame(burned, 2.0, 1080, 1920)).mean(axis=1)
    band = slice(int(1920 * 0.70), int(1920 * 0.90))  # the bottom captions, 12% above the edge
    assert difference[band].max() > 20, "no caption in the caption area"
    outside = np.r_[0 : int(1920 * 0.60), int(1920 * 0.95) : 1920]
    assert difference[outside].mean() < 2.0, "the frame differs outside the caption area"

    about = await clip_job(platform, auth, asset_id=asset_id, prompt="your duty to your country", **one)
    assert "country" in about["clips"][0]["excerpt"].lower()
    assert about["clips"][0]["start_s"] != plain["clips"][0]["start_s"], "the prompt changed nothing"
    assert any(reason["feature"] == "prompt" for reason in about["clips"][0]["reasons"])

    # Rendered clips go into a project like assets: the plain clip's first 3 s, then the prompt's clip.
    project = (await platform.api.post("/v1/projects", json={"name": "reel"}, headers=auth)).json()
    for body in (
        {"clip": {"clip_job_id": plain["id"], "index": 0}, "trim_out": 3},
        {"clip": {"clip_job_id": about["id"], "index": 0}},
    ):
        added = await platform.api.post(f"/v1/projects/{project['id']}/items", json=body, headers=auth)
        assert added.status_code == 201, added.text
    items = added.json()["items"]
    assert [item["clip"]["clip_job_id"] for item in items] == [plain["id"], about["id"]]
    assert items[1]["duration"] == pytest.approx(about["clips"][0]["duration_s"], abs=0.01)
    missing = {"clip": {"clip_job_id": plain["id"], "index": 5}}
    refused = await platform.api.post(f"/v1/projects/{project['id']}/items", json=missing, headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    export = (
        await platform.api.post(
            f"/v1/projects/{project['id']}/exports", json={"resolution": "720p", "aspect": "9:16"}, headers=auth
        )
    ).json()
    job = await finished(platform, auth, export)
    assert job["status"] == "succeeded", job
    made = (await platform.api.get(f"/v1/exports/{job['resource_id']}", headers=auth)).json()
    video = await download(made["video_url"], tmp_path / "reel.mp4")
    assert float(probe(video)["format"]["duration"]) == pytest.approx(3 + items[1]["duration"], abs=0.05)


async def test_a_job_whose_asset_fails_ingest_fails_with_the_reason(platform: Platform, tmp_path: Path) -> None:
    _tenant, auth = await platform.tenant("acme")
    broken = truncated_after_header(tmp_path).read_bytes()
    async with media_server(body=broken) as port:
        job = await start(platform, auth, source_url=f"http://{MEDIA_HOST}:{port}/talk.mp4", **SHORT)
        job = await finished(platform, auth, job)
    assert (job["status"], job["error"]["code"]) == ("failed", "media_unreadable"), job
    assert "the asset failed" in job["error"]["message"]
    found = (await platform.api.get(f"/v1/clip-jobs/{job['resource_id']}", headers=auth)).json()
    assert (found["status"], found["clips"]) == ("failed", [])
    # An asset that has failed already, or has no picture, is refused at once.
    failed_asset = found["asset_id"]
    refused = await platform.api.post("/v1/clip-jobs", json={"asset_id": failed_asset}, headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (409, "asset_failed")
    audio = await ready_asset(platform, auth, SPEECH / "jfk.wav", "audio/wav")
    refused = await platform.api.post("/v1/clip-jobs", json={"asset_id": audio}, headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (422, "no_video")
    for body in (
        {},
        {"asset_id": audio, "source_url": "http://example.com/x.mp4"},
        {"asset_id": audio, "count": 0},
        {"asset_id": audio, "min_duration": 20, "max_duration": 10},
        {"asset_id": audio, "aspect": "2:1"},
    ):
        refused = await platform.api.post("/v1/clip-jobs", json=body, headers=auth)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed"), body
    _other, globex = await platform.tenant("globex")
    assert (await platform.api.get(f"/v1/clip-jobs/{job['resource_id']}", headers=globex)).status_code == 404
    assert (await platform.api.post("/v1/clip-jobs", json={"asset_id": audio}, headers=globex)).status_code == 404
