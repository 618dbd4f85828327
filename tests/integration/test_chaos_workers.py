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
from figures import full_suite, record, runs
from media_corpus import LECTURE, POSE, SPEECH
from minio import Minio
from support import free_port, wait_for
from test_assets import wait_until_done
from test_transcription import ready_asset
from workers import WorkerProcess

KILLS = runs(full=20, fast=1)
pytestmark = [pytest.mark.chaos, pytest.mark.timeout(3600 if full_suite() else 600)]

PORT = {service: free_port() for service in ("ingest", "transcription", "pose", "render", "aigen")}
JOB_TIMEOUT_S = 600.0

Job = dict[str, Any]
Working = Callable[[Job], bool]  # whether the worker is busy with the job


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

    async def round(self, job_id: str, working: Working) -> Job:
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

    async def against_reference(
        self, start: Callable[[], Awaitable[Job]], outputs: Callable[[Job], Awaitable[Any]], working: Working
    ) -> tuple[Any, int]:
        """One job left alone (the reference), then KILLS jobs each killed
        mid-way; returns the reference's outputs and how many killed jobs
        succeeded with exactly those. ``start`` returns the job (its "id",
        and what ``outputs`` needs to find what the job made)."""
        first = await start()
        ended = await self.finished(first["id"])
        assert ended["status"] == "succeeded", ended
        reference = await outputs({**first, **ended})
        exact = 0
        for _ in range(KILLS):
            job = await start()
            ended = await self.round(job["id"], working)
            exact += ended["status"] == "succeeded" and await outputs({**job, **ended}) == reference
        return reference, exact

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
        asset = await loop.accepted(lambda: platform.api.post("/v1/assets", files=files, headers=auth))
        return {"id": asset["job_id"], "asset_id": asset["id"]}

    async def outputs(job: Job) -> Any:
        asset = await wait_until_done(platform, auth, job["asset_id"])
        stored = objects_under(minio_client, f"ingest/{tenant}/{asset['id']}/")
        return asset["status"], sorted(asset["derivatives"]), stored

    await worker.start()
    try:
        reference, exact = await loop.against_reference(upload, outputs, running)
        listed = (await platform.api.get("/v1/assets?limit=50", headers=auth)).json()["items"]
    finally:
        await worker.stop()
    loop.report("ingest SIGKILL mid-asset", exact, started_at)
    status, derivatives, stored = reference
    assert status == "ready"
    assert len(stored) > len(derivatives) >= 4  # the original and every derivative
    assert len(listed) == KILLS + 1  # no asset twice


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

    async def transcribe() -> Job:
        body = {"asset_id": await ready_asset(platform, auth, SPEECH / "jfk.wav", "audio/wav")}
        return await loop.accepted(lambda: platform.api.post("/v1/transcriptions", json=body, headers=auth))

    async def segments(job: Job) -> Any:
        found = (await platform.api.get(f"/v1/transcripts/{job['resource_id']}", headers=auth)).json()
        return [(s["text"], round(s["start"], 2), round(s["end"], 2)) for s in found["segments"]]

    await worker.start()
    try:
        reference, exact = await loop.against_reference(transcribe, segments, running)
    finally:
        await worker.stop()
    loop.report("transcription SIGKILL mid-file", exact, started_at)
    spoken = " ".join(text for text, _, _ in reference).lower()
    assert spoken.count("country") == 2  # "ask not what your country can do for you ..."


@pytest.mark.parametrize("platform", [{"external": {"pose": f"127.0.0.1:{PORT['pose']}"}}], indirect=True)
async def test_pose_killed_mid_analysis(
    platform: Platform, child_env: dict[str, str], uid: str, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    worker = WorkerProcess("pose", PORT["pose"], child_env, uid, tmp_path)
    loop = CrashLoop(platform, auth, worker)
    started_at = time.monotonic()

    async def analyse() -> Job:
        asset_id = await ready_asset(platform, auth, POSE / "sports2d_demo.mp4", "video/mp4")
        body = {"asset_id": asset_id}
        job = await loop.accepted(lambda: platform.api.post("/v1/pose-analyses", json=body, headers=auth))
        return {**job, "asset_id": asset_id}

    async def signals(job: Job) -> Any:
        """The analysis' signals, less its own ids."""
        found = (await platform.api.get(f"/v1/pose-analyses/{job['asset_id']}/signals", headers=auth)).json()
        return {name: value for name, value in found.items() if name not in {"analysis_id", "asset_id"}}

    await worker.start()
    try:
        reference, exact = await loop.against_reference(analyse, signals, running)
    finally:
        await worker.stop()
    loop.report("pose SIGKILL mid-analysis", exact, started_at)
    assert len(reference["times_s"]) > 50  # one entry per analysed frame, none twice


@pytest.mark.parametrize(
    "platform",
    [{"transcription": {}, "pose": {}, "external": {"render": f"127.0.0.1:{PORT['render']}"}}],
    indirect=True,
)
async def test_render_killed_mid_clip_job(
    platform: Platform, child_env: dict[str, str], uid: str, tmp_path: Path, minio_client: Minio
) -> None:
    tenant, auth = await platform.tenant("acme")
    assert platform.ingest is not None
    assert platform.transcription is not None
    assert platform.pose is not None
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

    async def clips(job: Job) -> Any:
        """Each clip's span in the source, and the files (by name relative to the job)."""
        found = (await platform.api.get(f"/v1/clip-jobs/{job['resource_id']}", headers=auth)).json()
        stored = objects_under(minio_client, f"render/{tenant}/{job['resource_id']}/")
        return [(clip["start_s"], clip["end_s"]) for clip in found["clips"]], stored

    await worker.start()
    try:
        reference, exact = await loop.against_reference(clip_job, clips, lambda job: job["stage"] == "rendering")
    finally:
        await worker.stop()
    loop.report("render SIGKILL mid-clip-job", exact, started_at)
    spans, stored = reference
    assert len(spans) == 2
    assert {name.split(".")[0] for name in stored} == {"0", "1", "clips"}  # each clip's files, and the manifest


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
    seeds = iter(range(KILLS + 1))
    made: list[str] = []

    async def generate() -> Job:
        body = {"provider": "local", "prompt": "a lighthouse", "duration": 4, "resolution": "720p", "seed": next(seeds)}
        return await loop.accepted(lambda: platform.api.post("/v1/generations", json=body, headers=auth))

    async def generation(job: Job) -> Any:
        found = (await platform.api.get(f"/v1/generations/{job['resource_id']}", headers=auth)).json()
        made.append(found["asset_id"])
        return found["status"], found["attempts"] >= 1, bool(found["asset_id"])

    await worker.start()
    try:
        _, exact = await loop.against_reference(generate, generation, running)
    finally:
        await worker.stop()
    loop.report("aigen SIGKILL mid-generation", exact, started_at)
    # One asset per generation: a generation taken over after a kill registers its video once.
    listed = (await platform.api.get("/v1/assets?limit=50", headers=auth)).json()["items"]
    assert sorted(asset["id"] for asset in listed) == sorted(made)
    assert [(await wait_until_done(platform, auth, asset_id))["status"] for asset_id in made] == ["ready"] * len(made)
