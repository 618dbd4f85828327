"""What the infrastructure chaos tests share: a short clip to ingest, an
upload that waits for its ingest job, and a steady API load that records
every answer (status, problem code, time) for checks over an outage window."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from conftest import Platform
from media_corpus import ffmpeg
from support import wait_for

# Gateway settings for load tests: the tenant's rate limit never answers first.
UNLIMITED = {"rate_limit_per_s": 100000.0, "rate_limit_burst": 100000}


def short_clip(folder: Path, seconds: int = 4) -> Path:
    """A small video with sound: quick to ingest, still every derivative."""
    path = folder / "clip.mp4"
    if not path.exists():
        ffmpeg(
            "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=15:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path),
        )  # fmt: skip
    return path


async def upload(platform: Platform, auth: dict[str, str], path: Path) -> dict[str, Any]:
    """Upload ``path``; returns the accepted asset (fails the test on any other answer)."""
    with path.open("rb") as file:
        response = await platform.api.post("/v1/assets", files={"file": (path.name, file, "video/mp4")}, headers=auth)
    assert response.status_code == 201, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


async def job_outcome(platform: Platform, auth: dict[str, str], job_id: str, timeout_s: float = 150) -> dict[str, Any]:
    """The job once it succeeded or failed. Answers other than 200 while
    waiting (a dependency still recovering) are polled through."""
    job: dict[str, Any] = {}

    async def finished() -> bool:
        nonlocal job
        try:
            response = await platform.api.get(f"/v1/jobs/{job_id}", headers=auth, timeout=30)
        except httpx.TransportError:
            return False
        if response.status_code == 200:
            job = response.json()
        return job.get("status") in {"succeeded", "failed"}

    await wait_for(finished, timeout_s=timeout_s, what=f"job {job_id} to finish")
    return job


async def ingest(
    platform: Platform, auth: dict[str, str], path: Path, timeout_s: float = 150
) -> tuple[dict[str, Any], float]:
    """Upload ``path`` and wait for its ingest job; returns the job and the seconds it all took."""
    started = time.monotonic()
    accepted = await upload(platform, auth, path)
    job = await job_outcome(platform, auth, accepted["job_id"], timeout_s)
    return job, time.monotonic() - started


@dataclass(frozen=True)
class Answer:
    """One request of the load: when it ran and how it ended (``status`` 0: no answer)."""

    started: float
    ended: float
    method: str
    path: str
    status: int
    code: str = ""
    retry_after: str | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problem_503(self) -> bool:
        """A 503 with a problem body naming ``unavailable`` and a Retry-After."""
        return self.status == 503 and self.code == "unavailable" and self.retry_after is not None


@dataclass
class ApiLoad:
    """``workers`` loops of API reads and writes as one tenant until stopped."""

    api: httpx.AsyncClient
    auth: dict[str, str]
    workers: int = 4
    timeout_s: float = 15.0
    pause_s: float = 0.02
    answers: list[Answer] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> ApiLoad:
        self._tasks = [asyncio.create_task(self._work(n)) for n in range(self.workers)]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    def during(self, start: float, end: float) -> list[Answer]:
        """Requests that were in flight at some moment of ``[start, end]``."""
        return [a for a in self.answers if a.started <= end and a.ended >= start]

    def after(self, moment: float) -> list[Answer]:
        return [a for a in self.answers if a.started >= moment]

    async def _work(self, worker: int) -> None:
        requests = itertools.cycle(
            [
                ("GET", "/v1/jobs?limit=5", None),
                ("POST", "/v1/api-keys", {"name": f"load-{worker}"}),
                ("GET", "/v1/assets?limit=5", None),
                ("GET", "/v1/api-keys", None),
            ]
        )
        for method, path, body in requests:
            if self._stop.is_set():
                return
            started = time.monotonic()
            try:
                response = await self.api.request(method, path, json=body, headers=self.auth, timeout=self.timeout_s)
            except httpx.HTTPError as exc:
                self.answers.append(Answer(started, time.monotonic(), method, path, 0, error=repr(exc)))
            else:
                code = ""
                if response.headers.get("content-type", "").startswith("application/problem+json"):
                    code = str(response.json().get("code", ""))
                self.answers.append(
                    Answer(
                        started,
                        time.monotonic(),
                        method,
                        path,
                        response.status_code,
                        code,
                        response.headers.get("retry-after"),
                    )
                )
            await asyncio.sleep(self.pause_s)


def summary(answers: list[Answer]) -> dict[str, int]:
    """Counts by outcome: ok, 503 (problem, Retry-After), 500, no answer, other."""
    return {
        "requests": len(answers),
        "ok": sum(a.ok for a in answers),
        "503": sum(a.problem_503 for a in answers),
        "500": sum(a.status == 500 for a in answers),
        "no_answer": sum(a.status == 0 for a in answers),
        "other": sum(not (a.ok or a.problem_503 or a.status in (0, 500)) for a in answers),
    }
