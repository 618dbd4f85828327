"""Pose analyses and comparisons end to end: upload, POST, the job, the results over REST."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from conftest import WITH_POSE, Platform
from media_corpus import IMAGES, POSE, SPEECH, ffmpeg
from minio import Minio
from support import wait_for
from test_public_grpc import bearer, refusal, watched
from test_transcription import ready_asset

from reelforge.api.v1 import jobs_pb2, pose_pb2, pose_pb2_grpc
from reelforge_pose.skeleton import JOINT_NAMES

pytestmark = pytest.mark.parametrize("platform", [WITH_POSE], indirect=True)
CAM01, CAM02, SPORTS = (
    POSE / f"{name}.mp4" for name in ("pose2sim_single_cam01", "pose2sim_single_cam02", "sports2d_demo")
)


async def finished(platform: Platform, auth: dict[str, str], job: dict[str, Any]) -> dict[str, Any]:
    """Wait for the job to end; returns it."""

    async def ended() -> bool:
        nonlocal job
        job = (await platform.api.get(f"/v1/jobs/{job['id']}", headers=auth)).json()
        return job["status"] in {"succeeded", "failed"}

    await wait_for(ended, timeout_s=240, what=f"the {job['kind']} job to end")
    return job


async def analyse(platform: Platform, auth: dict[str, str], asset_id: str, **options: Any) -> dict[str, Any]:
    response = await platform.api.post("/v1/pose-analyses", json={"asset_id": asset_id, **options}, headers=auth)
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["kind"], job["resource_id"]) == ("pose", asset_id)
    return await finished(platform, auth, job)


async def analysis_of(platform: Platform, auth: dict[str, str], asset_id: str) -> dict[str, Any]:
    response = await platform.api.get(f"/v1/pose-analyses/{asset_id}", headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def signals_of(platform: Platform, auth: dict[str, str], asset_id: str) -> dict[str, Any]:
    response = await platform.api.get(f"/v1/pose-analyses/{asset_id}/signals", headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def compare(
    platform: Platform, auth: dict[str, str], reference: str, attempt: str, **options: Any
) -> dict[str, Any]:
    body = {"reference_asset_id": reference, "attempt_asset_id": attempt, **options}
    response = await platform.api.post("/v1/comparisons", json=body, headers=auth)
    assert response.status_code == 202, response.text
    job = await finished(platform, auth, response.json())
    assert job["kind"] == "compare"
    assert job["status"] == "succeeded", job
    found = await platform.api.get(f"/v1/comparisons/{job['resource_id']}", headers=auth)
    assert found.status_code == 200, found.text
    return dict(found.json())


async def test_two_people_keep_one_main_subject_whose_box_moves_smoothly(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    asset_id = await ready_asset(platform, auth, SPORTS, "video/mp4")
    job = await analyse(platform, auth, asset_id)
    assert job["status"] == "succeeded", job
    analysis = await analysis_of(platform, auth, asset_id)
    assert analysis["status"] == "completed"
    assert analysis["no_person"] is False
    assert analysis["people_seen"] >= 2  # the man who flips off the box may count twice: unseen mid-air
    assert analysis["frames_analysed"] == pytest.approx(77, abs=2)  # 7.7 s at 10 fps
    assert analysis["frames_with_person"] >= 30
    assert analysis["width"] > analysis["height"]
    signals = await signals_of(platform, auth, asset_id)
    boxes = signals["subject_boxes"]
    assert len(boxes) == len(signals["times_s"]) == analysis["frames_analysed"]
    centres = [(box["x"] + box["width"] / 2) if box else None for box in boxes]
    followed = [c for c in centres if c is not None]
    # The main subject (the woman walking across) is followed from right to
    # left, never swapped for the man on the box: no jump between frames.
    assert followed[0] - followed[-1] > 0.4
    steps = [abs(b - a) for a, b in itertools.pairwise(centres) if a is not None and b is not None]
    assert max(steps) < 0.08
    assert len(signals["motion_energy"]) == 8
    assert set(signals["joint_angles"]) == set(JOINT_NAMES)


async def test_an_attempt_is_scored_against_a_reference_with_feedback(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    cam01, cam02, sports = [await ready_asset(platform, auth, path, "video/mp4") for path in (CAM01, CAM02, SPORTS)]
    itself = await compare(platform, auth, cam01, cam01)
    same = await compare(platform, auth, cam01, cam02)
    different = await compare(platform, auth, cam01, sports)
    assert itself["score"] >= 95
    assert same["score"] >= 65, same  # the same movement seen by another camera
    assert same["score"] - different["score"] >= 15, (same["score"], different["score"])
    assert same["feedback"], "even a good attempt hears where it differs most"
    assert different["segments"], different
    assert all(0 <= segment["score"] <= 100 for segment in different["segments"])
    assert different["feedback"], "a different movement gets feedback"
    for item in different["feedback"]:
        assert item["joint"] in JOINT_NAMES
        assert item["direction"] in {"more", "less"}
        assert item["text"].startswith(item["joint"].replace("_", " "))
        assert "than the reference at 0:0" in item["text"]
    # The alignment path is kept (for a side-by-side video) and monotonic.
    with_path = await platform.api.get(f"/v1/comparisons/{same['id']}?alignment=true", headers=auth)
    path = np.array([(p["reference_s"], p["attempt_s"]) for p in with_path.json()["alignment"]])
    assert len(path) >= 15
    assert (np.diff(path, axis=0) >= 0).all()
    listed = (await platform.api.get("/v1/comparisons", params={"asset_id": sports}, headers=auth)).json()
    assert [item["id"] for item in listed["items"]] == [different["id"]]
    # The three comparisons analysed each asset once: the tracks are reused.
    assert (await analysis_of(platform, auth, cam01))["job_id"] is None
    assert platform.pose is not None
    counts = await platform.pose.resources.db.pool.fetch(
        "SELECT asset_id, count(*) AS analyses FROM analyses GROUP BY asset_id"
    )
    assert {row["asset_id"]: row["analyses"] for row in counts} == {cam01: 1, cam02: 1, sports: 1}


async def test_nobody_in_the_video_completes_with_no_person(platform: Platform, tmp_path: Path) -> None:
    _tenant, auth = await platform.tenant("acme")
    pattern = tmp_path / "pattern.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15", "-pix_fmt", "yuv420p", str(pattern))
    asset_id = await ready_asset(platform, auth, pattern, "video/mp4")
    job = await analyse(platform, auth, asset_id)
    assert job["status"] == "succeeded", job
    analysis = await analysis_of(platform, auth, asset_id)
    assert (analysis["no_person"], analysis["frames_with_person"], analysis["people_seen"]) == (True, 0, 0)
    signals = await signals_of(platform, auth, asset_id)
    assert signals["subject_boxes"] == [None] * analysis["frames_analysed"]
    assert signals["motion_energy"] == [0.0, 0.0]
    # A comparison needs someone on both sides: it fails with the reason.
    cam01 = await ready_asset(platform, auth, CAM01, "video/mp4")
    response = await platform.api.post(
        "/v1/comparisons", json={"reference_asset_id": cam01, "attempt_asset_id": asset_id}, headers=auth
    )
    job = await finished(platform, auth, response.json())
    assert (job["status"], job["error"]["code"]) == ("failed", "no_person"), job
    assert "attempt" in job["error"]["message"]


async def test_still_portraits_and_a_very_short_clip_are_analysed(platform: Platform, tmp_path: Path) -> None:
    _tenant, auth = await platform.tenant("acme")
    for image in (IMAGES / "astronaut.png", IMAGES / "grace_hopper.jpg"):
        still = tmp_path / f"{image.stem}.mp4"
        ffmpeg(
            "-loop",
            "1",
            "-i",
            str(image),
            "-t",
            "1",
            "-r",
            "15",
            "-vf",
            "scale=trunc(iw/2)*2:trunc(ih/2)*2",
            "-pix_fmt",
            "yuv420p",
            str(still),
        )
        asset_id = await ready_asset(platform, auth, still, "video/mp4")
        assert (await analyse(platform, auth, asset_id))["status"] == "succeeded"
        analysis = await analysis_of(platform, auth, asset_id)
        assert analysis["frames_with_person"] == analysis["frames_analysed"] == 10, (image.name, analysis)
        assert analysis["people_seen"] == 1
    blink = tmp_path / "blink.mp4"
    ffmpeg("-i", str(CAM01), "-t", "0.15", "-an", str(blink))
    asset_id = await ready_asset(platform, auth, blink, "video/mp4")
    assert (await analyse(platform, auth, asset_id))["status"] == "succeeded"
    analysis = await analysis_of(platform, auth, asset_id)
    assert 1 <= analysis["frames_analysed"] <= 3
    itself = await compare(platform, auth, asset_id, asset_id)
    assert itself["score"] >= 95


async def test_a_phone_video_is_analysed_upright(platform: Platform, tmp_path: Path) -> None:
    """A portrait recording stored sideways with a rotation tag, as phones do."""
    _tenant, auth = await platform.tenant("acme")
    sideways, tagged = tmp_path / "sideways.mp4", tmp_path / "phone.mp4"
    ffmpeg("-i", str(CAM01), "-vf", "transpose=2,scale=-2:360", "-an", "-pix_fmt", "yuv420p", str(sideways))
    ffmpeg("-i", str(sideways), "-c", "copy", "-metadata:s:v:0", "rotate=270", str(tagged))
    asset_id = await ready_asset(platform, auth, tagged, "video/mp4")
    assert (await analyse(platform, auth, asset_id))["status"] == "succeeded"
    analysis = await analysis_of(platform, auth, asset_id)
    assert analysis["height"] > analysis["width"]
    assert analysis["frames_with_person"] >= 0.9 * analysis["frames_analysed"]
    boxes = [box for box in (await signals_of(platform, auth, asset_id))["subject_boxes"] if box]
    aspect = analysis["height"] / analysis["width"]
    assert np.median([box["height"] / box["width"] * aspect for box in boxes]) > 1.2  # a standing person, upright


async def test_refusals_audio_only_other_tenants_and_bad_options(platform: Platform) -> None:
    _acme, acme = await platform.tenant("acme")
    _globex, globex = await platform.tenant("globex")
    audio = await ready_asset(platform, acme, SPEECH / "jfk.wav", "audio/wav")
    refused = await platform.api.post("/v1/pose-analyses", json={"asset_id": audio}, headers=acme)
    assert (refused.status_code, refused.json()["code"]) == (422, "no_video")
    video = await ready_asset(platform, acme, CAM01, "video/mp4")
    refused = await platform.api.post(
        "/v1/comparisons", json={"reference_asset_id": video, "attempt_asset_id": audio}, headers=acme
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "no_video")
    for body in ({"asset_id": video, "sample_fps": 0}, {"asset_id": video, "max_people": 11}):
        refused = await platform.api.post("/v1/pose-analyses", json=body, headers=acme)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed"), body
    span = {"reference_asset_id": video, "attempt_asset_id": video, "attempt_span": {"start_s": 2, "end_s": 1}}
    refused = await platform.api.post("/v1/comparisons", json=span, headers=acme)
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed")
    assert (await platform.api.get(f"/v1/pose-analyses/{video}", headers=acme)).json()["code"] == "not_found"
    not_ready = await platform.api.get(f"/v1/pose-analyses/{video}/signals", headers=acme)
    assert (not_ready.status_code, not_ready.json()["code"]) == (404, "not_found")
    assert (await analyse(platform, acme, video))["status"] == "succeeded"
    # Another tenant's asset and analysis do not exist for globex.
    assert (await platform.api.post("/v1/pose-analyses", json={"asset_id": video}, headers=globex)).status_code == 404
    assert (await platform.api.get(f"/v1/pose-analyses/{video}", headers=globex)).status_code == 404
    assert (await platform.api.get(f"/v1/pose-analyses/{video}/signals", headers=globex)).status_code == 404
    itself = await compare(platform, acme, video, video)
    assert (await platform.api.get(f"/v1/comparisons/{itself['id']}", headers=globex)).status_code == 404
    assert (await platform.api.get("/v1/comparisons", headers=globex)).json()["items"] == []
    bad_cursor = await platform.api.get("/v1/comparisons", params={"cursor": "nope"}, headers=acme)
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (422, "validation_failed")


async def test_a_proxy_that_does_not_decode_fails_the_job_with_the_reason(
    platform: Platform, minio_client: Minio
) -> None:
    tenant, auth = await platform.tenant("acme")
    asset_id = await ready_asset(platform, auth, CAM01, "video/mp4")
    # The stored proxy is damaged after ingest made it (a disk or bucket fault).
    garbage = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64
    minio_client.put_object("reelforge", f"ingest/{tenant}/{asset_id}/proxy.mp4", io.BytesIO(garbage), len(garbage))
    job = await analyse(platform, auth, asset_id)
    assert (job["status"], job["error"]["code"]) == ("failed", "media_unreadable"), job
    analysis = await analysis_of(platform, auth, asset_id)
    assert (analysis["status"], analysis["error"]["code"]) == ("failed", "media_unreadable")
    refused = await platform.api.get(f"/v1/pose-analyses/{asset_id}/signals", headers=auth)
    assert (refused.status_code, refused.json()["code"]) == (409, "pose_failed")


async def test_the_public_grpc_api_analyses_and_compares_for_the_tenant_only(platform: Platform) -> None:
    _acme, acme = await platform.tenant("acme")
    _globex, globex = await platform.tenant("globex")
    video = await ready_asset(platform, acme, CAM01, "video/mp4")
    audio = await ready_asset(platform, acme, SPEECH / "jfk.wav", "audio/wav")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as channel:
        stub = pose_pb2_grpc.PoseAnalysesStub(channel)
        job = await stub.CreatePoseAnalysis(
            pose_pb2.CreatePoseAnalysisRequest(asset_id=video, sample_fps=5), metadata=bearer(acme)
        )
        assert (job.kind, job.resource_id) == ("pose", video)
        assert (await watched(channel, acme, job.id))[-1].job.status == jobs_pb2.JOB_STATUS_SUCCEEDED
        analysis = await stub.GetPoseAnalysis(pose_pb2.PoseAnalysisRef(asset_id=video), metadata=bearer(acme))
        assert (analysis.status, analysis.sample_fps, analysis.no_person) == ("completed", 5.0, False)
        signals = await stub.GetPoseSignals(pose_pb2.PoseAnalysisRef(asset_id=video), metadata=bearer(acme))
        assert len(signals.subject_boxes) == len(signals.times_s) == analysis.frames_analysed
        assert [series.joint for series in signals.joint_angles] == list(JOINT_NAMES)

        job = await stub.CreateComparison(
            pose_pb2.CreateComparisonRequest(reference_asset_id=video, attempt_asset_id=video), metadata=bearer(acme)
        )
        assert (await watched(channel, acme, job.id))[-1].job.status == jobs_pb2.JOB_STATUS_SUCCEEDED
        comparison = await stub.GetComparison(
            pose_pb2.GetComparisonRequest(comparison_id=job.resource_id, include_alignment=True), metadata=bearer(acme)
        )
        assert comparison.score >= 95
        assert comparison.alignment
        page = await stub.ListComparisons(pose_pb2.ListComparisonsRequest(), metadata=bearer(acme))
        assert [item.id for item in page.items] == [comparison.id]

        on = bearer(globex)
        for name, call in {
            "GetPoseAnalysis": stub.GetPoseAnalysis(pose_pb2.PoseAnalysisRef(asset_id=video), metadata=on),
            "GetPoseSignals": stub.GetPoseSignals(pose_pb2.PoseAnalysisRef(asset_id=video), metadata=on),
            "GetComparison": stub.GetComparison(
                pose_pb2.GetComparisonRequest(comparison_id=comparison.id), metadata=on
            ),
            "CreatePoseAnalysis": stub.CreatePoseAnalysis(
                pose_pb2.CreatePoseAnalysisRequest(asset_id=video), metadata=on
            ),
        }.items():
            assert await refusal(call) == (grpc.StatusCode.NOT_FOUND, "not_found"), name
        audio_only = stub.CreatePoseAnalysis(pose_pb2.CreatePoseAnalysisRequest(asset_id=audio), metadata=bearer(acme))
        assert await refusal(audio_only) == (grpc.StatusCode.INVALID_ARGUMENT, "no_video")
