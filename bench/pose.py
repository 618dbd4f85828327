"""Pose speed: the service path against a bare MediaPipe VIDEO-mode loop.

    python bench/pose.py [--seconds 60] [--rounds 3]

Needs the running stack (`make up`). The video is real: sports2d_demo.mp4
(two people) from ../shared/media/pose, looped to ``--seconds``.

- Ours: the video is uploaded and ingested first (not timed); the clock runs
  from `POST /v1/pose-analyses` until the job has succeeded: the request,
  the outbox, NATS, the consumer, the proxy's download from S3, FFmpeg
  decoding piped as raw frames, PoseLandmarker, tracking, the track written
  to S3, the summary, the completion event.
- Bare: the same proxy's frames, decoded beforehand (not timed) at the same
  rate, fed to `PoseLandmarker.detect_for_video` in this process, with the
  service's model and options.

Frames per second of each are the frames analysed over the time taken;
rounds alternate and the medians are compared. Then the time of one
comparison of two 10-minute tracks at 10 fps on the CPU (DTW of both the
attempt and its mirror image, scoring, feedback). Last line:
`ratio=<service fps / bare fps>` (target at least 0.9).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import mediapipe as mp
import numpy as np
import torch
from mediapipe.tasks.python import BaseOptions, vision

from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout
from reelforge_pose.analysis import analyse
from reelforge_pose.comparison import ComparisonConfig, compare
from reelforge_pose.config import PoseSettings
from reelforge_pose.engine import PoseEngine
from reelforge_pose.frames import decode, probe
from reelforge_pose.main import engine_config
from reelforge_pose.track import PoseTrack

ROOT = Path(__file__).resolve().parents[1]
SPORTS = ROOT.parent / "shared" / "media" / "pose" / "sports2d_demo.mp4"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def bare(settings: PoseSettings, model: Path, frames: list[np.ndarray], fps: float) -> float:
    """Seconds for a bare MediaPipe VIDEO-mode loop over ``frames``, with the service's options."""
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=settings.max_people,
        min_pose_detection_confidence=settings.min_detection_confidence,
        min_pose_presence_confidence=settings.min_presence_confidence,
        min_tracking_confidence=settings.min_tracking_confidence,
    )
    started = time.perf_counter()
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        for index, frame in enumerate(frames):
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
            landmarker.detect_for_video(image, round(index * 1000 / fps))
    return time.perf_counter() - started


class Service:
    """The running stack's gateway and a tenant of its own."""

    def __init__(self, api: httpx.AsyncClient, auth: dict[str, str]) -> None:
        self.api = api
        self.auth = auth

    async def upload(self, path: Path) -> dict[str, object]:
        with path.open("rb") as file:
            response = await self.api.post(
                "/v1/assets", files={"file": (path.name, file, "video/mp4")}, headers=self.auth
            )
        response.raise_for_status()
        asset_id = response.json()["id"]
        while True:
            asset: dict[str, object] = (await self.api.get(f"/v1/assets/{asset_id}", headers=self.auth)).json()
            if asset["status"] == "ready":
                return asset
            if asset["status"] == "failed":
                raise RuntimeError(f"asset {asset_id} failed to ingest")
            await asyncio.sleep(0.2)

    async def analyse(self, asset_id: str) -> tuple[float, int]:
        """Seconds from the request to the succeeded job, and the frames analysed."""
        started = time.perf_counter()
        response = await self.api.post("/v1/pose-analyses", json={"asset_id": asset_id}, headers=self.auth)
        response.raise_for_status()
        job_id = response.json()["id"]
        # Wait on the job's event stream (polling would take CPU from the model).
        async with self.api.stream("GET", f"/v1/jobs/{job_id}/events", headers=self.auth) as events:
            async for line in events.aiter_lines():
                if not line.startswith("data: "):
                    continue
                job = json.loads(line.removeprefix("data: "))
                if job["status"] == "succeeded":
                    took = time.perf_counter() - started
                    analysis = (await self.api.get(f"/v1/pose-analyses/{asset_id}", headers=self.auth)).json()
                    return took, int(analysis["frames_analysed"])
                if job["status"] == "failed":
                    raise RuntimeError(f"pose analysis failed: {job['error']}")
        raise RuntimeError(f"the event stream of job {job_id} ended early")


def long_track(track: PoseTrack, minutes: float, seed: int) -> PoseTrack:
    """The track's frames with a person, repeated (with landmark noise) to ``minutes`` at its rate."""
    seen = ~np.isnan(track.world[:, 0, 0, 0])
    frames = round(minutes * 60 * track.fps)
    picks = np.resize(np.flatnonzero(seen), frames)
    noise = np.random.default_rng(seed).normal(0, 0.01, (frames, 1, 33, 4)).astype(np.float32)
    noise[..., 3] = 0
    return PoseTrack(
        times=(np.arange(frames) / track.fps).astype(np.float32),
        image=track.image[picks, :1] + noise,
        world=track.world[picks, :1] + noise,
        person=np.full((frames, 1), track.main_person, np.int32),
        fps=track.fps,
        width=track.width,
        height=track.height,
        main_person=track.main_person,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the analysed video")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each path, alternating; medians compared")
    args = parser.parse_args()
    layout = StackLayout.discover(ROOT)
    env = {**read_env_file(layout.env_file), **os.environ}
    settings = PoseSettings()  # the service's defaults: model, rate, people, confidences
    engine = PoseEngine(engine_config(settings))
    async with httpx.AsyncClient(base_url=env["REELFORGE_API_URL"], timeout=600) as api:
        operator = {"Authorization": f"Bearer {env['REELFORGE_OPERATOR_TOKEN']}"}
        tenant = await api.post("/v1/admin/tenants", json={"name": f"bench-{uuid.uuid4().hex[:8]}"}, headers=operator)
        tenant.raise_for_status()
        service = Service(api, {"Authorization": f"Bearer {tenant.json()['api_key']['token']}"})
        with tempfile.TemporaryDirectory() as folder:
            video, proxy = Path(folder) / "sports.mp4", Path(folder) / "proxy.mp4"
            loop = ["-stream_loop", "-1", "-i", str(SPORTS), "-t", str(args.seconds), "-an", "-vf", "scale=1280:-2"]
            ffmpeg(*loop, "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(video))
            asset = await service.upload(video)
            derivatives = asset["derivatives"]
            assert isinstance(derivatives, dict)
            proxy.write_bytes((await api.get(derivatives["proxy"])).content)  # the very file the service decodes
            geometry = probe(proxy)
            fps = min(settings.sample_fps, geometry.fps)
            frames = list(decode(proxy, geometry, fps))
            ours_runs, bare_runs = [], []
            for round_ in range(1, args.rounds + 1):
                took, analysed = await service.analyse(str(asset["id"]))
                ours_runs.append(analysed / took)
                bare_s = await asyncio.to_thread(bare, settings, engine.model_path, frames, fps)
                bare_runs.append(len(frames) / bare_s)
                print(f"round {round_}: service {ours_runs[-1]:.1f} frames/s, bare {bare_runs[-1]:.1f} frames/s")
            ours, bare_fps = statistics.median(ours_runs), statistics.median(bare_runs)
            print(
                f"{args.seconds:g} s of video, {len(frames)} frames of {geometry.width}x{geometry.height}"
                f" at {fps:g} fps, medians: service {ours:.1f} frames/s, bare MediaPipe {bare_fps:.1f} frames/s"
            )
            sample = await asyncio.to_thread(analyse, engine, proxy, fps=fps, max_people=settings.max_people)
    reference, attempt = long_track(sample, 10, seed=1), long_track(sample, 10, seed=2)
    started = time.perf_counter()
    result = compare(reference, attempt, config=ComparisonConfig(), device=torch.device("cpu"))
    took = time.perf_counter() - started
    print(
        f"comparison of two 10-minute tracks at {sample.fps:g} fps ({reference.frame_count} frames each) on CPU: "
        f"{took:.1f} s (score {result.score:.0f}, {len(result.segments)} segments)"
    )
    print(f"ratio={ours / bare_fps:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
