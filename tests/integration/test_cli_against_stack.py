"""The reelforge CLI against the running gateway, ingest, transcription and pose."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import OPERATOR_TOKEN, WITH_AIGEN, WITH_EVERYTHING, WITH_POSE, WITH_TRANSCRIPTION, Platform
from media_corpus import IMAGES, LECTURE, POSE, SPEECH
from standardwebhooks import Webhook

from reelforge_devstack.webhook_receiver import WebhookReceiver

REELFORGE = str(Path(sys.executable).parent / "reelforge")


async def cli(platform: Platform, *args: str, api_key: str = "", timeout_s: float = 120) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "REELFORGE_API_URL": str(platform.api.base_url).rstrip("/"),
        "REELFORGE_API_KEY": api_key,
        "REELFORGE_OPERATOR_TOKEN": OPERATOR_TOKEN,
        "REELFORGE_CONFIG": "/nonexistent/reelforge.json",
    }
    proc = await asyncio.create_subprocess_exec(
        REELFORGE, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout_s)
    assert proc.returncode is not None
    return proc.returncode, stdout.decode(), stderr.decode()


async def test_create_a_tenant_then_upload_a_file_to_a_ready_asset(platform: Platform, tmp_path: Path) -> None:
    code, out, err = await cli(platform, "admin", "tenant", "create", "demo", "--json")
    assert code == 0, err
    created: dict[str, Any] = json.loads(out)
    token = created["api_key"]["token"]
    platform.tenants.append(created["tenant"]["id"])

    code, out, err = await cli(platform, "upload", str(LECTURE), "--json", api_key=token)
    assert code == 0, err
    asset = json.loads(out)
    assert asset["status"] == "ready"
    assert set(asset["derivatives"]) == {"thumbnail", "filmstrip", "audio", "proxy"}

    code, out, err = await cli(platform, "jobs", "list", "--kind", "ingest", "--json", api_key=token)
    assert code == 0, err
    [job] = json.loads(out)["items"]
    assert job["resource_id"] == asset["id"]
    code, out, err = await cli(platform, "jobs", "watch", job["id"], "--json", api_key=token)
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["status"] == "succeeded"
    code, out, err = await cli(platform, "jobs", "get", job["id"], "--json", api_key=token)
    assert code == 0, err
    outputs = json.loads(out)["outputs"]
    assert set(outputs) == {"original", "thumbnail", "filmstrip", "audio", "proxy"}
    assert all(o["url"].startswith("http") and o["expires_at"] for o in outputs.values())

    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 100)
    code, out, err = await cli(platform, "upload", str(text), api_key=token)
    assert code == 1
    assert err.strip().splitlines()[-1] == "error: unsupported_media: the file is text, not audio or video (HTTP 415)"
    code, out, _ = await cli(platform, "assets", "get", "nope", "--json", api_key=token)
    assert code == 1
    assert json.loads(out)["error"]["code"] == "not_found"


async def test_the_operator_sets_a_quota_and_the_tenant_sees_it(platform: Platform) -> None:
    code, out, err = await cli(platform, "admin", "tenant", "create", "quota-demo", "--json")
    assert code == 0, err
    created: dict[str, Any] = json.loads(out)
    tenant_id = created["tenant"]["id"]
    platform.tenants.append(tenant_id)

    code, out, err = await cli(platform, "admin", "tenant", "quotas", tenant_id, "--monthly-minutes", "500", "--json")
    assert code == 0, err
    quotas = json.loads(out)["quotas"]
    assert quotas["monthly_minutes"] == 500
    assert "monthly_minutes" not in quotas["defaults"]

    code, out, err = await cli(platform, "quotas", "--json", api_key=created["api_key"]["token"])
    assert code == 0, err
    mine = json.loads(out)
    assert mine["tenant_id"] == tenant_id
    assert mine["quotas"] == quotas


@pytest.mark.parametrize("platform", [WITH_TRANSCRIPTION], indirect=True)
async def test_transcribe_uploads_a_speech_file_and_prints_what_is_said(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("speaker")
    token = auth["Authorization"].removeprefix("Bearer ")

    # Uploading, ingest and the transcription job (the model is assembled on first use) in one command.
    code, out, err = await cli(
        platform, "transcribe", str(SPEECH / "jfk.wav"), "--format", "txt", api_key=token, timeout_s=300
    )

    assert code == 0, err
    spoken = " ".join(re.findall(r"[a-z']+", out.lower()))
    assert spoken.endswith("ask not what your country can do for you ask what you can do for your country")


@pytest.mark.parametrize("platform", [WITH_AIGEN], indirect=True)
async def test_generate_with_the_local_provider_writes_a_playable_clip_registered_as_an_asset(
    platform: Platform, tmp_path: Path
) -> None:
    tenant, auth = await platform.tenant("maker")
    token = auth["Authorization"].removeprefix("Bearer ")
    out_dir = tmp_path / "out"
    code, out, err = await cli(
        platform, "generate", "--provider", "local", "--prompt", "a lighthouse at dusk", "-o", str(out_dir), "--json",
        api_key=token,
    )  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert (made["status"], made["provider"], made["procedural"]) == ("succeeded", "local", True)
    video = out_dir / made["file"]
    assert json.loads((out_dir / "generation.json").read_text())["id"] == made["id"]
    probe = await asyncio.create_subprocess_exec(
        "ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", str(video),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert sorted((await probe.communicate())[0].decode().split()) == ["audio", "video"]
    code, out, err = await cli(platform, "assets", "get", made["asset_id"], "--json", api_key=token)
    assert code == 0, err
    assert json.loads(out)["id"] == made["asset_id"]

    # A first frame from a file, the estimate, the budget, and a refusal that names its code.
    code, out, err = await cli(
        platform, "generate", "--image", str(IMAGES / "astronaut.png"), "-o", str(out_dir), "--estimate", "--json",
        api_key=token,
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["within_budget"] is True
    code, out, err = await cli(platform, "admin", "tenant", "budget", tenant, "--usd", "5", "--json")
    assert code == 0, err
    assert json.loads(out)["budget"]["usd"] == 5
    code, _, err = await cli(
        platform, "generate", "--provider", "nope", "--prompt", "x", "-o", str(out_dir), api_key=token
    )
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("error: provider_not_configured:")


@pytest.mark.parametrize("platform", [WITH_POSE], indirect=True)
async def test_pose_and_compare_upload_videos_and_print_the_analysis_and_the_score(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("mimic")
    token = auth["Authorization"].removeprefix("Bearer ")
    cam01, cam02 = POSE / "pose2sim_single_cam01.mp4", POSE / "pose2sim_single_cam02.mp4"

    code, out, err = await cli(platform, "pose", str(cam01), "--json", "--signals", api_key=token, timeout_s=300)
    assert code == 0, err
    printed = json.loads(out)
    assert printed["analysis"]["status"] == "completed"
    assert printed["analysis"]["frames_with_person"] == printed["analysis"]["frames_analysed"] > 10
    assert len(printed["signals"]["subject_boxes"]) == printed["analysis"]["frames_analysed"]

    code, out, err = await cli(platform, "compare", str(cam01), str(cam02), "--json", api_key=token, timeout_s=300)
    assert code == 0, err
    comparison = json.loads(out)
    assert comparison["status"] == "completed"
    assert comparison["score"] > 60
    assert comparison["segments"]

    code, out, err = await cli(platform, "compare", printed["analysis"]["asset_id"], "nope", api_key=token)
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("error: not_found")


@pytest.mark.parametrize("platform", [WITH_EVERYTHING], indirect=True)
async def test_clip_uploads_a_talk_and_downloads_its_clips_as_make_demo_does(
    platform: Platform, tmp_path: Path
) -> None:
    _tenant, auth = await platform.tenant("demo")
    token = auth["Authorization"].removeprefix("Bearer ")
    out = tmp_path / "clips"
    async with WebhookReceiver("127.0.0.2") as receiver:
        code, printed, err = await cli(
            platform, "webhooks", "create", receiver.url, "--event", "job.succeeded", "--json", api_key=token
        )
        assert code == 0, err
        secret = json.loads(printed)["secret"]
        args = ("clip", str(LECTURE), "--count", "3", "--aspect", "9:16", "--min", "5", "--max", "15", "-o", str(out))
        code, printed, err = await cli(platform, *args, "--json", api_key=token, timeout_s=600)
        assert code == 0, err
        clip_job = json.loads(printed)
        arrived = [Webhook(secret).verify(r.body, r.headers) for r in await receiver.wait_for(2)]
        await asyncio.sleep(1.0)
    # The upload's ingest and the clip job; not the transcription and pose analysis the clip job ran inside.
    assert len(receiver.received) == 2
    succeeded = {m["data"]["kind"]: m["data"] for m in arrived}
    assert set(succeeded) == {"ingest", "clipjob"}
    assert {m["type"] for m in arrived} == {"job.succeeded"}
    assert (succeeded["clipjob"]["job_id"], succeeded["clipjob"]["resource_id"]) == (clip_job["job_id"], clip_job["id"])
    manifest = json.loads((out / "clips.json").read_text())
    assert json.loads(printed) == manifest
    assert manifest["status"] == "completed"
    assert len(manifest["clips"]) == 3
    for clip in manifest["clips"]:
        for name in ("file", "thumbnail_file", "subtitles_file"):
            assert (out / clip[name]).stat().st_size > 0, clip[name]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["clips.json", *(f"clip-0{i}.{kind}" for i in (1, 2, 3) for kind in ("mp4", "jpg", "srt"))]
    )
