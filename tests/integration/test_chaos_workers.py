"""Each worker SIGKILLed mid-job, again and again: every job completes and
every output exists exactly once (`make chaos` kills each 20 times; `make
test` once).

Each round starts a job, waits until the worker is working on it, kills the
worker with SIGKILL and starts it again; JetStream hands the job's message to
the new process once its ack wait (5 s here) has passed. A first job, never
interrupted, is the reference every interrupted job's outputs must equal.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import Platform
from figures import record, runs
from media_corpus import LECTURE, POSE, SPEECH
from minio import Minio
from support import free_port, wait_for
from test_assets import wait_until_done
from test_transcription import ready_asset
from workers import WorkerProcess

pytestmark = pytest.mark.chaos

KILLS = runs(full=20, fast=1)
PORT = {service: free_port() for service in ("ingest", "transcription", "pose", "render", "aigen")}
JOB_TIMEOUT_S = 600.0

Job = dict[str, Any]


@dataclass
class CrashLoop:
    """Rounds of start-a-job, kill-the-worker-mid-job, start-it-again."""

    platform: Platform
    auth: dict[str, str]
    worker: WorkerProcess
    jobs: list[Job] = field(default_factory=list)
    mid_job: int = 0

    async def job(self, job_id: str) -> Job:
        found: Job = (await self.platform.api.get(f"/v1/jobs/{job_id}", headers=self.auth)).json()
        return found

    async def accepted(self, call: Callable[[], Awaitable[Any]]) -> Job:
        """The job ``call`` starts, retried while the worker is still starting (503)."""
        created: Job = {}

        async def answered() -> bool:
            nonlocal created
            response = await call()
            if response.status_code == 503:
                return False
            assert response.status_code in {201, 202}, response.text
            created = response.json()
            return True

        await wait_for(answered, timeout_s=120, what=f"{self.worker.service} to take requests")
        return created

    async def finished(self, job_id: str) -> Job:
        job: Job = {}

        async def ended() -> bool:
            nonlocal job
            job = await self.job(job_id)
            return job["status"] in {"succeeded", "failed"}

        await wait_for(ended, timeout_s=JOB_TIMEOUT_S, what=f"job {job_id} to end")
        return job

    async def round(self, job_id: str, working: Callable[[Job], bool]) -> Job:
        """Kill the worker once ``working(job)`` holds, start it again and
        wait for the job to end; returns the ended job."""

        async def busy() -> bool:
            job = await self.job(job_id)
            return working(job) or job["status"] in {"succeeded", "failed"}

        await wait_for(busy, timeout_s=JOB_TIMEOUT_S, what=f"the {self.worker.service} worker to be busy")
        await self.worker.kill()
        if (await self.job(job_id))["status"] == "running":
            self.mid_job += 1
        await self.worker.start()
        ended = await self.finished(job_id)
        self.jobs.append(ended)
        return ended

    def report(self, test: str, exact: int, started_at: float) -> None:
        succeeded = sum(job["status"] == "succeeded" for job in self.jobs)
        record(
            "chaos",
            test,
            KILLS,
            exact,
            f"{self.mid_job}/{KILLS} kills mid-job, {succeeded}/{len(self.jobs)} jobs succeeded, "
            f"{exact} with exactly the reference's outputs ({time.monotonic() - started_at:.0f} s)",
        )
        assert self.mid_job > 0, "no kill landed mid-job"
        assert exact == KILLS, [job for job in self.jobs if job["status"] != "succeeded"]


def running(job: Job) -> bool:
    return bool(job["status"] == "running")


def objects_under(minio_client: Minio, prefix: str) -> list[str]:
    """Object names under ``prefix``, relative to it, sorted."""
    found = minio_client.list_objects("reelforge", prefix=prefix, recursive=True)
    return sorted(str(o.object_name).removeprefix(prefix) for o in found)


@pytest.mark.parametrize("platform", [{"external": {"ingest": f"127.0.0.1:{PORT['ingest']}"}}], indirect=True)
async def test_ingest_killed_mid_asset(
    platform: Platform, child_env: dict[str, str], uid: str, tmp_path: Path, minio_client: Minio
) -> None:
    tenant, auth = await platform.tenant("acme")
    worker = WorkerProcess("ingest", PORT["ingest"], child_env, uid, tmp_path, import_allow_networks=["127.0.0.2/32"])
    loop = CrashLoop(platform, auth, worker)
    started_at = time.monotonic()

    async def upload() -> Job:
        with LECTURE.open("rb") as file:
            files = {"file": (LECTURE.name, file.read(), "video/mp4")}
        return await loop.accepted(lambda: platform.api.post("/v1/assets", files=files, headers=auth))

    def stored(asset: Job) -> list[str]:
        return objects_under(minio_client, f"ingest/{tenant}/{asset['id']}/")

    await worker.start()
    try:
        reference = await wait_until_done(platform, auth, (await upload())["id"])
        assert reference["status"] == "ready", reference
        exact = 0
        for _ in range(KILLS):
            asset = await upload()
            await loop.round(asset["job_id"], running)
            done = await wait_until_done(platform, auth, asset["id"])
            same = done["status"] == "ready" and done["derivatives"].keys() == reference["derivatives"].keys()
            exact += same and stored(done) == stored(reference)
        listed = (await platform.api.get("/v1/assets?limit=50", headers=auth)).json()["items"]
    finally:
        await worker.stop()
    assert len(stored(reference)) > len(reference["derivatives"])  # the original and every derivative
    assert len(listed) == KILLS + 1  # no asset twice
    loop.report("ingest SIGKILL mid-asset", exact, started_at)


@pytest.mark.parametrize(
    "platform", [{"external": {"transcription": f"127.0.0.1:{PORT['transcription']}"}}], indirect=True
)
async def test_transcription_killed_mid_file(
    platform: Platform, child_env: dict[str, str], uid: str, tmp_path: Path, model_cache: Path
) -> None:
    _, auth = await platform.tenant("acme")
    worker = WorkerProcess(
        "transcription", PORT["transcription"], child_env, uid, tmp_path, model_cache=str(model_cache), cpu_threads=1
    )
    loop = CrashLoop(platform, auth, worker)
    started_at = time.monotonic()
    speech = SPEECH / "jfk.wav"

    async def transcribe() -> tuple[str, Job]:
        asset_id = await ready_asset(platform, auth, speech, "audio/wav")
        body = {"asset_id": asset_id}
        return asset_id, await loop.accepted(lambda: platform.api.post("/v1/transcriptions", json=body, headers=auth))

    async def transcript(asset_id: str) -> Job:
        found: Job = (await platform.api.get(f"/v1/transcripts/{asset_id}", headers=auth)).json()
        return found

    def words(found: Job) -> list[tuple[str, float, float]]:
        return [(s["text"], round(s["start"], 2), round(s["end"], 2)) for s in found["segments"]]

    await worker.start()
    try:
        asset_id, job = await transcribe()
        assert (await loop.finished(job["id"]))["status"] == "succeeded"
        reference = await transcript(asset_id)
        exact = 0
        for _ in range(KILLS):
            asset_id, job = await transcribe()
            ended = await loop.round(job["id"], running)
            exact += ended["status"] == "succeeded" and words(await transcript(asset_id)) == words(reference)
    finally:
        await worker.stop()
    spoken = " ".join(segment["text"] for segment in reference["segments"]).lower()
    assert spoken.count("country") == 2  # "ask not what your country can do for you ..."
    loop.report("transcription SIGKILL mid-file", exact, started_at)


@pytest.mark.parametrize("platform", [{"external": {"pose": f"127.0.0.1:{PORT['pose']}"}}], indirect=True)
async def test_pose_killed_mid_analysis(
    platform: Platform, child_env: dict[str, str], uid: str, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    worker = WorkerProcess("pose", PORT["pose"], child_env, uid, tmp_path)
    loop = CrashLoop(platform, auth, worker)
    started_at = time.monotonic()
    video = POSE / "sports2d_demo.mp4"

    async def analyse() -> tuple[str, Job]:
        asset_id = await ready_asset(platform, auth, video, "video/mp4")
        body = {"asset_id": asset_id}
        return asset_id, await loop.accepted(lambda: platform.api.post("/v1/pose-analyses", json=body, headers=auth))

    async def signals(asset_id: str) -> Job:
        """The analysis' signals, less its own ids."""
        found: Job = (await platform.api.get(f"/v1/pose-analyses/{asset_id}/signals", headers=auth)).json()
        return {name: value for name, value in found.items() if name not in {"analysis_id", "asset_id"}}

    await worker.start()
    try:
        asset_id, job = await analyse()
        assert (await loop.finished(job["id"]))["status"] == "succeeded"
        reference = await signals(asset_id)
        exact = 0
        for _ in range(KILLS):
            asset_id, job = await analyse()
            ended = await loop.round(job["id"], running)
            exact += ended["status"] == "succeeded" and await signals(asset_id) == reference
    finally:
        await worker.stop()
    assert len(reference["times_s"]) > 50  # one entry per analysed frame, none twice
    loop.report("pose SIGKILL mid-analysis", exact, started_at)


@pytest.mark.parametrize(
    "platform",
    [{"transcription": {}, "pose": {}, "external": {"render": f"127.0.0.1:{PORT['render']}"}}],
    indirect=True,
)
async def test_render_killed_mid_clip_job(
    platform: Platform, child_env: dict[str, str], uid: str, tmp_path: Path, minio_client: Minio
) -> None:
    tenant, auth = await platform.tenant("acme")
    assert platform.ingest is not None and platform.transcription is not None and platform.pose is not None
    worker = WorkerProcess(
        "render",
        PORT["render"],
        child_env,
        uid,
        tmp_path,
        ingest_target=f"127.0.0.1:{platform.ingest.grpc_port}",
        transcription_target=f"127.0.0.1:{platform.transcription.grpc_port}",
        pose_target=f"127.0.0.1:{platform.pose.grpc_port}",
    )
    loop = CrashLoop(platform, auth, worker)
    started_at = time.monotonic()
    asset_id = await ready_asset(platform, auth, LECTURE, "video/mp4")
    body = {"asset_id": asset_id, "count": 2, "min_duration": 5, "max_duration": 10}

    async def clip_job() -> Job:
        return await loop.accepted(lambda: platform.api.post("/v1/clip-jobs", json=body, headers=auth))

    async def clips(job: Job) -> list[tuple[float, float]]:
        found = (await platform.api.get(f"/v1/clip-jobs/{job['resource_id']}", headers=auth)).json()
        return [(clip["start_s"], clip["end_s"]) for clip in found["clips"]]

    def stored(job: Job) -> list[str]:
        return objects_under(minio_client, f"render/{tenant}/{job['resource_id']}/")

    await worker.start()
    try:
        reference = await loop.finished((await clip_job())["id"])
        assert reference["status"] == "succeeded", reference
        exact = 0
        for _ in range(KILLS):
            job = await clip_job()
            ended = await loop.round(job["id"], lambda job: job["stage"] == "rendering")
            same = ended["status"] == "succeeded" and await clips(ended) == await clips(reference)
            exact += same and stored(ended) == stored(reference)
        assert len(await clips(reference)) == 2
    finally:
        await worker.stop()
    assert len(stored(reference)) >= 2  # each clip's file, once
    loop.report("render SIGKILL mid-clip-job", exact, started_at)


@pytest.mark.parametrize("platform", [{"external": {"aigen": f"127.0.0.1:{PORT['aigen']}"}}], indirect=True)
async def test_aigen_killed_mid_generation(
    platform: Platform, child_env: dict[str, str], uid: str, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    assert platform.ingest is not None
    worker = WorkerProcess(
        "aigen",
        PORT["aigen"],
        child_env,
        uid,
        tmp_path,
        ingest_target=f"127.0.0.1:{platform.ingest.grpc_port}",
        poll_interval_s=0.05,
    )
    loop = CrashLoop(platform, auth, worker)
    started_at = time.monotonic()

    async def generate(seed: int) -> Job:
        body = {
            "provider": "local",
            "prompt": "a lighthouse at dusk",
            "duration": 4,
            "resolution": "720p",
            "seed": seed,
        }
        return await loop.accepted(lambda: platform.api.post("/v1/generations", json=body, headers=auth))

    async def generation(job: Job) -> Job:
        found: Job = (await platform.api.get(f"/v1/generations/{job['resource_id']}", headers=auth)).json()
        return found

    await worker.start()
    try:
        reference = await loop.finished((await generate(0))["id"])
        assert reference["status"] == "succeeded", reference
        exact = 0
        for seed in range(1, KILLS + 1):
            ended = await loop.round((await generate(seed))["id"], running)
            made = await generation(ended)
            exact += ended["status"] == "succeeded" and made["status"] == "succeeded" and bool(made["asset_id"])
        generated = {(await generation(job))["asset_id"] for job in [reference, *loop.jobs]}
    finally:
        await worker.stop()
    # One asset per generation: a generation taken over after a kill registers its video once.
    listed = (await platform.api.get("/v1/assets?limit=50", headers=auth)).json()["items"]
    assert {asset["id"] for asset in listed} == generated
    assert [(await wait_until_done(platform, auth, asset_id))["status"] for asset_id in generated] == ["ready"] * len(
        generated
    )
    loop.report("aigen SIGKILL mid-generation", exact, started_at)
