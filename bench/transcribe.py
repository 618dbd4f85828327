"""Transcription speed: the service path against one bare faster-whisper call.

    python bench/transcribe.py [--minutes 5] [--scaling 1,5,20]

Needs the running stack (`make up`). The audio is real read speech from
../shared/media/speech, repeated to length, as a 16 kHz mono WAV.

- Ours: the asset is uploaded and ingested first (not timed); then the clock
  runs from `POST /v1/transcriptions` (the event in) until the job has
  succeeded (`transcription.completed` projected): the request, the outbox,
  NATS, the consumer, the S3 download, the engine, the S3 document, the
  segments, the completion event.
- Bare: `faster_whisper.WhisperModel(...).transcribe(...)` in this process,
  the same model files and the same decoding settings (the engine's
  defaults), segments consumed to the end.

Each path runs ``--rounds`` times, alternating (the first run of each pays
for warming up); the medians are compared. Prints the real-time factor
(seconds of work per second of audio) of each and `ratio=<ours/bare time>`
last (target at most 1.05). With `--scaling`,
also the service's RTF and the peak resident memory of the transcription
process for each length, to show that cost grows linearly and memory stays
flat.
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
from faster_whisper import WhisperModel

from reelforge_devstack.components import read_env_file
from reelforge_devstack.layout import StackLayout
from reelforge_transcription.engine import EngineConfig
from reelforge_transcription.models import materialize_base

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "media" / "speech"
SOURCES = [
    *sorted((SPEECH / "librivox_sense_and_sensibility").glob("*.wav")),
    SPEECH / "jfk" / "jfk.wav",
    *sorted((SPEECH / "cmu_arctic").glob("*.wav")),
]


def speech_wav(path: Path, minutes: float) -> float:
    """Real speech repeated to ``minutes``, 16 kHz mono; returns its duration in seconds."""
    inputs = [arg for source in SOURCES for arg in ("-i", str(source))]
    graph = f"{''.join(f'[{i}:a]' for i in range(len(SOURCES)))}concat=n={len(SOURCES)}:v=0:a=1"
    one_round = path.with_suffix(".round.wav")
    ffmpeg(*inputs, "-filter_complex", graph, "-ar", "16000", "-ac", "1", str(one_round))
    ffmpeg("-stream_loop", "-1", "-i", str(one_round), "-t", str(minutes * 60), str(path))
    one_round.unlink()
    return minutes * 60


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def bare(model: WhisperModel, config: EngineConfig, path: Path) -> float:
    """Seconds for one faster-whisper call with the engine's settings."""
    started = time.perf_counter()
    segments, _ = model.transcribe(str(path), word_timestamps=True, **config.decoding())
    for _ in segments:
        pass
    return time.perf_counter() - started


class Service:
    """The running stack's gateway, a tenant of its own, and the transcription process."""

    def __init__(self, api: httpx.AsyncClient, auth: dict[str, str], pid: int) -> None:
        self.api = api
        self.auth = auth
        self.pid = pid

    async def upload(self, path: Path) -> str:
        with path.open("rb") as file:
            response = await self.api.post(
                "/v1/assets", files={"file": (path.name, file, "audio/wav")}, headers=self.auth
            )
        response.raise_for_status()
        asset_id: str = response.json()["id"]
        while True:
            status = (await self.api.get(f"/v1/assets/{asset_id}", headers=self.auth)).json()["status"]
            if status == "ready":
                return asset_id
            if status == "failed":
                raise RuntimeError(f"asset {asset_id} failed to ingest")
            await asyncio.sleep(0.2)

    async def transcribe(self, asset_id: str) -> tuple[float, int]:
        """Seconds from the request to the succeeded job, and the process's peak RSS meanwhile (bytes)."""
        peak = _rss(self.pid)
        started = time.perf_counter()
        response = await self.api.post("/v1/transcriptions", json={"asset_id": asset_id}, headers=self.auth)
        response.raise_for_status()
        job_id = response.json()["id"]
        # Wait on the job's event stream (polling would take CPU from the engine).
        async with self.api.stream("GET", f"/v1/jobs/{job_id}/events", headers=self.auth) as events:
            async for line in events.aiter_lines():
                peak = max(peak, _rss(self.pid))
                if not line.startswith("data: "):
                    continue
                job = json.loads(line.removeprefix("data: "))
                if job["status"] == "succeeded":
                    return time.perf_counter() - started, peak
                if job["status"] == "failed":
                    raise RuntimeError(f"transcription failed: {job['error']}")
        raise RuntimeError(f"the event stream of job {job_id} ended early")


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the compared audio")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each path, alternating; medians compared")
    parser.add_argument("--scaling", default="", help="comma-separated lengths in minutes, e.g. 1,5,20")
    args = parser.parse_args()
    layout = StackLayout.discover(ROOT)
    env = {**read_env_file(layout.env_file), **os.environ}
    pid = int((layout.dir / "pids" / "transcription.pid").read_text().split()[0])
    config = EngineConfig(model_cache=Path(tempfile.gettempdir()) / "reelforge-bench-models")
    model = WhisperModel(
        str(materialize_base(config.model_cache)), device="cpu", compute_type=config.compute_type, num_workers=1
    )
    async with httpx.AsyncClient(base_url=env["REELFORGE_API_URL"], timeout=600) as api:
        operator = {"Authorization": f"Bearer {env['REELFORGE_OPERATOR_TOKEN']}"}
        tenant = await api.post("/v1/admin/tenants", json={"name": f"bench-{uuid.uuid4().hex[:8]}"}, headers=operator)
        tenant.raise_for_status()
        service = Service(api, {"Authorization": f"Bearer {tenant.json()['api_key']['token']}"}, pid)
        with tempfile.TemporaryDirectory() as folder:
            audio = Path(folder) / "speech.wav"
            seconds = speech_wav(audio, args.minutes)
            asset_id = await service.upload(audio)
            ours_runs, bare_runs = [], []
            for round_ in range(1, args.rounds + 1):
                ours_runs.append((await service.transcribe(asset_id))[0])
                bare_runs.append(await asyncio.to_thread(bare, model, config, audio))
                print(f"round {round_}: service {ours_runs[-1]:.1f} s, bare {bare_runs[-1]:.1f} s", flush=True)
            ours_s, bare_s = statistics.median(ours_runs), statistics.median(bare_runs)
            print(
                f"{args.minutes:g} min of speech, medians: service RTF {ours_s / seconds:.3f} ({ours_s:.1f} s), "
                f"bare faster-whisper RTF {bare_s / seconds:.3f} ({bare_s:.1f} s)"
            )
            for minutes in [float(m) for m in args.scaling.split(",") if m]:
                length = Path(folder) / f"speech-{minutes:g}.wav"
                duration = speech_wav(length, minutes)
                took, peak = await service.transcribe(await service.upload(length))
                print(f"  {minutes:>4g} min: service RTF {took / duration:.3f}, peak RSS {peak / 2**20:.0f} MiB")
    print(f"ratio={ours_s / bare_s:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
