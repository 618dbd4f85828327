"""The main job end to end: a 10-minute talk from upload to three clips ready.

    python bench/e2e.py [--minutes 10] [--count 3] [--min 10] [--max 60]

Needs the running stack (`make up`). The talk is lecture_composite.mp4 (a
speaker over six real recorded utterances) repeated to length: real speech
for the transcription, a real person for the pose analysis.

The clock starts before the upload and stops when the clip job has
succeeded: the upload, ingest (probe, derivatives), the transcription and
the pose analysis (in parallel), planning and the renders. Stage times come
from the job's live events. Last line: `ratio=<wall time / media duration>`
(target at most 0.25 on a 2-core machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT.parent / "shared" / "media" / "av" / "lecture_composite.mp4"
_LECTURE_S = 40.0


def talk(path: Path, minutes: float) -> float:
    """The lecture repeated to ``minutes``; returns its duration in seconds."""
    loops = max(1, round(minutes * 60 / _LECTURE_S))
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", str(LECTURE), "-c", "copy",
         "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    return loops * _LECTURE_S


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--min", type=float, default=10.0, dest="min_duration")
    parser.add_argument("--max", type=float, default=60.0, dest="max_duration")
    args = parser.parse_args()
    env = {**read_env_file(StackLayout.discover(ROOT).env_file), **os.environ}
    async with httpx.AsyncClient(base_url=env["REELFORGE_API_URL"], timeout=1800) as api:
        operator = {"Authorization": f"Bearer {env['REELFORGE_OPERATOR_TOKEN']}"}
        tenant = await api.post("/v1/admin/tenants", json={"name": f"bench-{uuid.uuid4().hex[:8]}"}, headers=operator)
        tenant.raise_for_status()
        auth = {"Authorization": f"Bearer {tenant.json()['api_key']['token']}"}
        with tempfile.TemporaryDirectory() as folder:
            video = Path(folder) / "talk.mp4"
            duration = talk(video, args.minutes)
            started = time.perf_counter()
            stages: list[tuple[str, float]] = [("upload", 0.0)]
            with video.open("rb") as file:
                response = await api.post("/v1/assets", files={"file": (video.name, file, "video/mp4")}, headers=auth)
            response.raise_for_status()
            asset_id = response.json()["id"]
            stages.append(("ingest", time.perf_counter() - started))
            body = {
                "asset_id": asset_id,
                "count": args.count,
                "min_duration": args.min_duration,
                "max_duration": args.max_duration,
            }
            job = (await api.post("/v1/clip-jobs", json=body, headers=auth)).raise_for_status().json()
            async with api.stream("GET", f"/v1/jobs/{job['id']}/events", headers=auth) as events:
                async for line in events.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    state = json.loads(line.removeprefix("data: "))
                    stage = "waiting" if state["stage"] in {"", "queued"} else state["stage"]
                    if stage != stages[-1][0] and state["status"] != "succeeded":
                        stages.append((stage, time.perf_counter() - started))
                    if state["status"] in {"succeeded", "failed"}:
                        break
            wall = time.perf_counter() - started
            if state["status"] != "succeeded":
                raise RuntimeError(f"the clip job failed: {state['error']}")
    print(f"{duration / 60:.1f} min talk, {args.count} clips of {args.min_duration:g}-{args.max_duration:g} s:")
    ends = [at for _name, at in stages[1:]] + [wall]
    for (name, at), end in zip(stages, ends, strict=True):
        print(f"  {name:<10} {end - at:6.1f} s")
    print(f"  {'total':<10} {wall:6.1f} s")
    print(f"ratio={wall / duration:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
