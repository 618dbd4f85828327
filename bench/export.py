"""Export speed: five mixed clips normalised and joined with crossfades
through the render service, against the one equivalent hand-written FFmpeg
command.

    python bench/export.py [--rounds 3]

Needs the running stack (`make up`). The clips, from ../shared/media, differ
in size, frame rate and sound: a 720p25 talk with mono 16 kHz sound, a 720p24
trailer with stereo 48 kHz, a 1768x994 30 fps sports clip, a 1080x1920
portrait 60 fps clip without sound, and a 720p24 trailer with stereo
44.1 kHz; 0.5 s crossfades between them; 1080p 16:9 at 30 fps, h264
`medium` quality, AAC 128 kb/s.

- Ours: from `POST /v1/projects/{id}/exports` to the succeeded job (the
  request, the outbox, NATS, the originals from S3, the FFmpeg run, the video
  to S3, the completion event), on assets already uploaded.
- Bare: one `ffmpeg` command a person would write for the same video from
  the same local files: per input a seek, scale and pad, fps, resampling;
  anullsrc for the clip without sound; an xfade and acrossfade chain; the
  same encoder settings.

Rounds alternate; medians compared. Last line: `ratio=<ours/ffmpeg time>`
(target at most 1.15).
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

from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout
from reelforge_render.config import RenderSettings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
# (file, start, seconds, has sound)
CLIPS = [
    (MEDIA / "av" / "lecture_composite.mp4", 5.0, 8.0, True),
    (MEDIA / "av" / "sintel_trailer-720p.mp4", 10.0, 8.0, True),
    (MEDIA / "pose" / "sports2d_demo.mp4", 0.0, 7.5, True),
    (MEDIA / "pose" / "pose2sim_single_cam01.mp4", 0.0, 1.667, False),
    (MEDIA / "av" / "moviepy_trailer_bbb.mp4", 20.0, 8.0, True),
]
FADE_S = 0.5
EXPORT = {
    "resolution": "1080p",
    "aspect": "16:9",
    "fps": 30,
    "quality": "medium",
    "transitions": [{"type": "crossfade", "duration": FADE_S}],
}


async def job_time(api: httpx.AsyncClient, auth: dict[str, str], project_id: str) -> float:
    """Seconds from the export request to its succeeded job."""
    started = time.perf_counter()
    response = await api.post(f"/v1/projects/{project_id}/exports", json=EXPORT, headers=auth)
    response.raise_for_status()
    job = response.json()
    async with api.stream("GET", f"/v1/jobs/{job['id']}/events", headers=auth) as events:
        async for line in events.aiter_lines():
            if not line.startswith("data: "):
                continue
            state = json.loads(line.removeprefix("data: "))
            if state["status"] == "succeeded":
                return time.perf_counter() - started
            if state["status"] == "failed":
                raise RuntimeError(f"export failed: {state['error']}")
    raise RuntimeError("the event stream ended early")


def bare(folder: Path, preset: str) -> float:
    """Seconds for the one hand-written command."""
    width, height, fps = 1920, 1080, 30
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    graph = []
    for index, (path, start, seconds, _) in enumerate(CLIPS):
        command += ["-ss", f"{start}", "-t", f"{seconds}", "-i", str(path)]
        graph.append(
            f"[{index}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fps},format=yuv420p,settb=AVTB[v{index}]"
        )
    for index, (_, _, seconds, has_sound) in enumerate(CLIPS):
        if has_sound:
            graph.append(f"[{index}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a{index}]")
        else:
            command += ["-f", "lavfi", "-t", f"{seconds}", "-i", "anullsrc=r=48000:cl=stereo"]
            graph.append(f"[{len(CLIPS)}:a]aformat=sample_fmts=fltp:channel_layouts=stereo[a{index}]")
    picture, sound, elapsed = "v0", "a0", CLIPS[0][2]
    for index in range(1, len(CLIPS)):
        offset = elapsed - FADE_S
        graph.append(f"[{picture}][v{index}]xfade=transition=fade:duration={FADE_S}:offset={offset:.3f}[x{index}]")
        graph.append(f"[{sound}][a{index}]acrossfade=d={FADE_S}[y{index}]")
        picture, sound, elapsed = f"x{index}", f"y{index}", elapsed + CLIPS[index][2] - FADE_S
    command += ["-filter_complex", ";".join(graph), "-map", f"[{picture}]", "-map", f"[{sound}]"]
    command += ["-c:v", "libx264", "-preset", preset, "-crf", "23", "-pix_fmt", "yuv420p", "-r", str(fps)]
    command += ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-movflags", "+faststart", str(folder / "bare.mp4")]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


async def upload(api: httpx.AsyncClient, auth: dict[str, str], path: Path) -> str:
    with path.open("rb") as file:
        response = await api.post("/v1/assets", files={"file": (path.name, file, "video/mp4")}, headers=auth)
    response.raise_for_status()
    asset_id: str = response.json()["id"]
    while True:
        if (await api.get(f"/v1/assets/{asset_id}", headers=auth)).json()["status"] == "ready":
            return asset_id
        await asyncio.sleep(0.2)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each path, alternating; medians compared")
    args = parser.parse_args()
    env = {**read_env_file(StackLayout.discover(ROOT).env_file), **os.environ}
    preset = RenderSettings().encoder_preset
    async with httpx.AsyncClient(base_url=env["REELFORGE_API_URL"], timeout=900) as api:
        operator = {"Authorization": f"Bearer {env['REELFORGE_OPERATOR_TOKEN']}"}
        tenant = await api.post("/v1/admin/tenants", json={"name": f"bench-{uuid.uuid4().hex[:8]}"}, headers=operator)
        tenant.raise_for_status()
        auth = {"Authorization": f"Bearer {tenant.json()['api_key']['token']}"}
        project = (await api.post("/v1/projects", json={"name": "bench"}, headers=auth)).json()
        for path, start, seconds, _ in CLIPS:
            asset_id = await upload(api, auth, path)
            item = {"asset_id": asset_id, "trim_in": start, "trim_out": start + seconds}
            (await api.post(f"/v1/projects/{project['id']}/items", json=item, headers=auth)).raise_for_status()
        ours_runs, bare_runs = [], []
        with tempfile.TemporaryDirectory() as folder:
            for round_ in range(1, args.rounds + 1):
                ours_runs.append(await job_time(api, auth, project["id"]))
                bare_runs.append(await asyncio.to_thread(bare, Path(folder), preset))
                print(f"round {round_}: service {ours_runs[-1]:.1f} s, ffmpeg {bare_runs[-1]:.1f} s", flush=True)
    ours, plain = statistics.median(ours_runs), statistics.median(bare_runs)
    seconds = sum(c[2] for c in CLIPS) - FADE_S * (len(CLIPS) - 1)
    print(f"{len(CLIPS)} clips, {seconds:.1f} s at 1920x1080, medians: service {ours:.1f} s, ffmpeg {plain:.1f} s")
    print(f"ratio={ours / plain:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
