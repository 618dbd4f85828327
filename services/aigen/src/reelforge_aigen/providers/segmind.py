"""Segmind: one endpoint per model, authenticated with ``x-api-key``.

Models that answer fast use the synchronous form, ``POST /v1/<model>``,
whose body on success is the media itself (``x-cost`` and
``x-remaining-credits`` in the headers). Video models use the asynchronous
form: ``POST /v2/<model>`` answers a ``request_id``; ``GET
/v2/requests/<id>/status`` reports QUEUED, PROCESSING, COMPLETED or FAILED
(FAILED with HTTP 422), and ``GET /v2/requests/<id>`` carries ``output``, the
result's URL, and ``metrics.cost``. Errors are ``{"error": "..."}``: 401 key,
406 credits (or a wrong content type), 422 parameters, 429 rate. Submitting
is not idempotent, so only answers that prove nothing was queued are retried.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from reelforge_aigen.providers.base import (
    ModelSpec,
    Outcome,
    ProviderError,
    VideoJob,
    auth_failed,
    generation_failed,
    out_of_credit,
    rate_limited,
    rejected,
    unavailable,
)
from reelforge_aigen.providers.http import Downloads, ProviderHttp, retry_after

_ASPECTS = ("16:9", "9:16", "1:1")
MODELS = {
    # Kling 1.0 text-to-video, 720p, 5 or 10 s: queued (v2).
    "kling-text2video": ModelSpec(
        name="kling-text2video", durations_s=(5, 10), resolutions=("720p",), aspects=_ASPECTS
    ),
    # LTX-Video: 97 frames (about 4 s) in seconds, from text or a first frame: synchronous (v1).
    "ltx-video": ModelSpec(
        name="ltx-video", durations_s=(4,), resolutions=("480p",), aspects=_ASPECTS, accepts_image=True
    ),
}
_SYNCHRONOUS = {"ltx-video"}
_RUNNING = {"QUEUED": 0.1, "PROCESSING": 0.5}
_MICROS = 1_000_000


def _micros(value: object) -> int | None:
    try:
        return round(float(value) * _MICROS)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _reset_wait(headers: httpx.Headers) -> float | None:
    """Segmind's 429 names when the window resets (``x-rate-limit-reset-at-utc``) instead of a Retry-After."""
    found = retry_after(headers)
    reset = headers.get("x-rate-limit-reset-at-utc")
    if found is not None or reset is None:
        return found
    try:
        at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max((at.astimezone(UTC) - datetime.now(UTC)).total_seconds(), 0.0)


class Segmind:
    name = "segmind"
    procedural = False
    models = MODELS

    def __init__(self, *, api_key: str, base_url: str, default_model: str, timeout_s: float, downloads: Downloads):
        self.default_model = default_model
        self._http = ProviderHttp(self.name, base_url, {"x-api-key": api_key}, timeout_s=timeout_s, downloads=downloads)

    def _refusal(self, response: httpx.Response) -> ProviderError:
        """The error an answer other than 2xx stands for."""
        try:
            body = response.json()
            message = str(body.get("error") or body) if isinstance(body, dict) else str(body)
        except ValueError:
            message = response.text[:200]
        status, text = response.status_code, f"Segmind HTTP {response.status_code}: {message}"
        if status == 401:
            return auth_failed(text)
        if status == 406:
            return out_of_credit(text) if "credit" in message.lower() else rejected(text)
        if status == 429:
            return rate_limited(text, retry_after=_reset_wait(response.headers))
        if status >= 500:
            return unavailable(text, retry_after=retry_after(response.headers))
        return rejected(text)

    def _body(self, job: VideoJob) -> dict[str, Any]:
        if job.model == "ltx-video":
            body: dict[str, Any] = {"prompt": job.prompt, "aspect_ratio": job.aspect, "length": 97, "target_size": 640}
            if job.first_frame is not None:
                body["image"] = job.first_frame.data_url()
        else:
            body = {
                "prompt": job.prompt,
                "negative_prompt": "",
                "cfg_scale": 0.5,
                "mode": "std",
                "aspect_ratio": job.aspect,
                "duration": int(job.duration_s),
            }
        if job.seed is not None:
            body["seed"] = job.seed
        return body

    async def submit(self, job: VideoJob, dest: Path) -> Outcome:
        if job.model in _SYNCHRONOUS:
            return await self._generate_now(job, dest)
        response = await self._http.send("POST", f"/v2/{job.model}", json=self._body(job))
        if response.status_code >= 300:
            raise self._refusal(response)
        body = self._http.json_of(response)
        request_id = body.get("request_id") if isinstance(body, dict) else None
        if not isinstance(request_id, str) or not request_id:
            # Something may be queued: a retry could pay twice, so this is not retried.
            raise ProviderError(
                "provider_unavailable", "Segmind queued the request without a request_id", retryable=False
            )
        return Outcome(task_id=request_id, fraction=0.0)

    async def _generate_now(self, job: VideoJob, dest: Path) -> Outcome:
        response = await self._http.send("POST", f"/v1/{job.model}", json=self._body(job))
        if response.status_code != 200:
            raise self._refusal(response)
        content_type = response.headers.get("content-type", "no content type")
        if not content_type.startswith("video/") or len(response.content) < 12:
            raise unavailable(f"Segmind answered {content_type}, not a video")
        await asyncio.to_thread(dest.write_bytes, response.content)
        return Outcome(video=dest, cost_micros=_micros(response.headers.get("x-cost")))

    async def poll(self, task_id: str, dest: Path) -> Outcome:
        response = await self._http.send("GET", f"/v2/requests/{task_id}/status")
        state = self._state(response)
        status = state.get("status")
        if status != "COMPLETED":
            return Outcome(task_id=task_id, fraction=_RUNNING.get(str(status), 0.3))
        result = self._state(await self._http.send("GET", f"/v2/requests/{task_id}"))
        await self._http.download(self._output_url(result), dest)
        return Outcome(task_id=task_id, video=dest, cost_micros=_micros((result.get("metrics") or {}).get("cost")))

    def _state(self, response: httpx.Response) -> dict[str, Any]:
        """A request's state; FAILED (HTTP 422 or 200 alike) raises."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status") == "FAILED":
            raise generation_failed(f"Segmind failed the request: {body.get('error') or 'no reason given'}")
        if response.status_code >= 300:
            raise self._refusal(response)
        if not isinstance(body, dict):
            return dict(self._http.json_of(response) or {})  # raises: not JSON
        return body

    @staticmethod
    def _output_url(result: dict[str, Any]) -> str:
        """``output`` is a URL; some models nest it (``{url}``, ``{video_url}``, a list)."""
        output = result.get("output")
        if isinstance(output, list) and output:
            output = output[0]
        if isinstance(output, dict):
            output = output.get("video_url") or output.get("url")
        if not isinstance(output, str) or not output:
            raise unavailable("Segmind completed the request without an output URL")
        return output

    async def close(self) -> None:
        await self._http.close()
