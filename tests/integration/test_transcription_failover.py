"""A transcription replica killed mid-file: another one finishes the job."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import pytest
from conftest import Platform
from media_corpus import MEDIA, ffmpeg
from support import free_port, wait_for
from test_transcription import ready_asset

TRANSCRIPTION = str(Path(sys.executable).parent / "reelforge-transcription")
PORT = free_port()
LIBRIVOX = sorted((MEDIA / "speech" / "librivox_sense_and_sensibility").glob("*.wav"))

pytestmark = pytest.mark.parametrize(
    "platform", [{"gateway": {"transcription_target": f"127.0.0.1:{PORT}"}}], indirect=True
)


async def start_replica(
    child_env: dict[str, str], uid: str, model_cache: Path, work: Path
) -> asyncio.subprocess.Process:
    env = {
        **child_env,
        "REELFORGE_DATABASE_SCHEMA": f"{uid}_transcription",
        "REELFORGE_GRPC_PORT": str(PORT),
        "REELFORGE_MODEL_CACHE": str(model_cache),
        "REELFORGE_WORK_DIR": str(work),
        "REELFORGE_JOB_ACK_WAIT_S": "5",
        "REELFORGE_CPU_THREADS": "1",
    }
    return await asyncio.create_subprocess_exec(
        TRANSCRIPTION, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


async def test_a_job_survives_its_replica_being_killed(
    platform: Platform, child_env: dict[str, str], uid: str, model_cache: Path, tmp_path: Path
) -> None:
    _tenant, auth = await platform.tenant("acme")
    # A couple of minutes of read speech: the replica is killed while decoding it.
    parts = [arg for path in LIBRIVOX * 3 for arg in ("-i", str(path))]
    joined = f"{''.join(f'[{i}:a]' for i in range(len(LIBRIVOX) * 3))}concat=n={len(LIBRIVOX) * 3}:v=0:a=1"
    long_speech = tmp_path / "chapter.wav"
    ffmpeg(*parts, "-filter_complex", joined, "-ar", "16000", "-ac", "1", str(long_speech))
    asset_id = await ready_asset(platform, auth, long_speech, "audio/wav")
    (tmp_path / "work").mkdir()

    first = await start_replica(child_env, uid, model_cache, tmp_path / "work")
    job_id = ""
    try:

        async def accepts() -> bool:
            nonlocal job_id
            response = await platform.api.post("/v1/transcriptions", json={"asset_id": asset_id}, headers=auth)
            if response.status_code == 503:
                return False  # the replica is still loading its model
            assert response.status_code == 202, response.text
            job_id = response.json()["id"]
            return True

        await wait_for(accepts, timeout_s=60, what="the first replica to take requests")

        async def decoding() -> bool:
            job = (await platform.api.get(f"/v1/jobs/{job_id}", headers=auth)).json()
            return bool(job["stage"] == "transcribing" and job["progress"] > 0.05)

        await wait_for(decoding, timeout_s=120, what="the first replica to be decoding")
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    orphaned = (await platform.api.get(f"/v1/jobs/{job_id}", headers=auth)).json()
    assert orphaned["status"] == "running", orphaned  # killed mid-file, not after the end

    second = await start_replica(child_env, uid, model_cache, tmp_path / "work")
    try:

        async def ended() -> bool:
            job = (await platform.api.get(f"/v1/jobs/{job_id}", headers=auth)).json()
            return job["status"] in {"succeeded", "failed"}

        await wait_for(ended, timeout_s=300, what="the second replica to finish the job")
        job = (await platform.api.get(f"/v1/jobs/{job_id}", headers=auth)).json()
        assert job["status"] == "succeeded", job
        text = (await platform.api.get(f"/v1/transcripts/{asset_id}?format=txt", headers=auth)).text
        assert len(re.findall(r"[a-z']+", text.lower())) > 120
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
