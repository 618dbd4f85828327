"""Render speed: a 30-second 1080x1920 reframed, captioned clip through the
render service against the one equivalent hand-written FFmpeg command.

    python bench/render.py [--rounds 3]

Needs the running stack (`make up`). The source is lecture_composite.mp4
(40 s, a speaker in the left third of a 16:9 frame).

- Ours: a clip job of one clip of 28-32 s at 9:16 with `highlight` captions
  on an asset whose transcript and pose track already exist (a first job,
  not timed, makes them): from `POST /v1/clip-jobs` to the succeeded job —
  the request, the outbox, NATS, planning (embeddings, signals), the
  original from S3, the picture's encode beside the sound's (loudness
  measured, then encoded) and the thumbnail, their join, the files to S3,
  the completion event.
- Bare: one `ffmpeg` command a person would write for the same clip: the
  same cut, a static crop at the speaker, scale, the same ASS captions,
  one-pass `loudnorm`, the same encoder settings, `+faststart`.

Rounds alternate; medians compared. Last line: `ratio=<ours/ffmpeg time>`
(target at most 1.10).
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
from typing import Any

import httpx

from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout
from reelforge_render.captions import ass_document, clip_words
from reelforge_render.config import RenderSettings
from reelforge_render.reframe import crop_size
from reelforge_render.sentences import words_of

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT.parent / "shared" / "media" / "av" / "lecture_composite.mp4"
JOB = {"count": 1, "min_duration": 28, "max_duration": 32, "aspect": "9:16", "captions": {"style": "highlight"}}


class Service:
    def __init__(self, api: httpx.AsyncClient, auth: dict[str, str]) -> None:
        self.api = api
        self.auth = auth

    async def upload(self, path: Path) -> str:
        with path.open("rb") as file:
            files = {"file": (path.name, file, "video/mp4")}
            response = await self.api.post("/v1/assets", files=files, headers=self.auth)
        response.raise_for_status()
        asset_id: str = response.json()["id"]
        while True:
            if (await self.api.get(f"/v1/assets/{asset_id}", headers=self.auth)).json()["status"] == "ready":
                return asset_id
            await asyncio.sleep(0.2)

    async def clip(self, asset_id: str) -> tuple[float, dict[str, Any]]:
        """Seconds from the request to the succeeded job, and the clip job."""
        started = time.perf_counter()
        response = await self.api.post("/v1/clip-jobs", json={"asset_id": asset_id, **JOB}, headers=self.auth)
        response.raise_for_status()
        job = response.json()
        async with self.api.stream("GET", f"/v1/jobs/{job['id']}/events", headers=self.auth) as events:
            async for line in events.aiter_lines():
                if not line.startswith("data: "):
                    continue
                state = json.loads(line.removeprefix("data: "))
                if state["status"] == "succeeded":
                    took = time.perf_counter() - started
                    found = await self.api.get(f"/v1/clip-jobs/{job['resource_id']}", headers=self.auth)
                    return took, found.json()
                if state["status"] == "failed":
                    raise RuntimeError(f"clip job failed: {state['error']}")
        raise RuntimeError("the event stream ended early")


def bare(clip: dict[str, Any], words: list[Any], folder: Path, settings: RenderSettings) -> float:
    """Seconds for the one hand-written command."""
    start, end = clip["start_s"], clip["end_s"]
    width, height = crop_size(1280, 720, "9:16")
    captions = folder / "bare.ass"
    spoken = clip_words(words, start, end)
    captions.write_text(ass_document(spoken, width=1080, height=1920, style="highlight", position="bottom"))
    x = 1280 * 0.3 - width / 2  # the speaker stands in the left third
    graph = f"crop={width}:{height}:{int(max(x, 0))}:0,scale=1080:1920,setsar=1,ass=filename={captions}"
    loud = f"aresample=48000,loudnorm=I={settings.loudness_lufs}:TP=-1.5:LRA=11"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{start:.3f}", "-t", f"{end - start:.3f}"]
    command += ["-i", str(LECTURE), "-vf", graph, "-af", loud, "-c:v", "libx264", "-preset", settings.encoder_preset]
    command += ["-crf", "20", "-pix_fmt", "yuv420p", "-r", "30", "-c:a", "aac", "-b:a", "128k", "-ar", "48000"]
    command += ["-movflags", "+faststart", str(folder / "bare.mp4")]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each path, alternating; medians compared")
    args = parser.parse_args()
    env = {**read_env_file(StackLayout.discover(ROOT).env_file), **os.environ}
    settings = RenderSettings()
    async with httpx.AsyncClient(base_url=env["REELFORGE_API_URL"], timeout=900) as api:
        operator = {"Authorization": f"Bearer {env['REELFORGE_OPERATOR_TOKEN']}"}
        tenant = await api.post("/v1/admin/tenants", json={"name": f"bench-{uuid.uuid4().hex[:8]}"}, headers=operator)
        tenant.raise_for_status()
        service = Service(api, {"Authorization": f"Bearer {tenant.json()['api_key']['token']}"})
        asset_id = await service.upload(LECTURE)
        first, found = await service.clip(asset_id)  # makes the transcript and pose track; not timed
        clip = found["clips"][0]
        print(f"first job (with analyses): {first:.1f} s; clip {clip['start_s']:.2f}-{clip['end_s']:.2f} s")
        document = (await api.get(f"/v1/transcripts/{asset_id}", headers=service.auth)).json()
        words = words_of(document)
        ours_runs, bare_runs = [], []
        with tempfile.TemporaryDirectory() as folder:
            for round_ in range(1, args.rounds + 1):
                took, found = await service.clip(asset_id)
                ours_runs.append(took)
                bare_runs.append(await asyncio.to_thread(bare, found["clips"][0], words, Path(folder), settings))
                print(f"round {round_}: service {ours_runs[-1]:.1f} s, ffmpeg {bare_runs[-1]:.1f} s", flush=True)
    ours, plain = statistics.median(ours_runs), statistics.median(bare_runs)
    duration = clip["end_s"] - clip["start_s"]
    print(f"{duration:.1f} s clip at 1080x1920, medians: service {ours:.1f} s, hand-written ffmpeg {plain:.1f} s")
    print(f"ratio={ours / plain:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
