"""MiniMax (Hailuo) video generation, v1 API.

``POST /v1/video_generation`` creates a task, ``GET /v1/query/video_generation``
reports it (Preparing, Queueing, Processing, then Success with a ``file_id``
or Fail), ``GET /v1/files/retrieve`` gives the file's ``download_url``, which
is fetched without our key. Auth is ``Authorization: Bearer``. Errors arrive
in ``base_resp.status_code`` (usually with HTTP 200): that code decides, the
HTTP status only when there is none. Images go as data URLs; the 01-series
models (S2V-01) take no duration or resolution.
"""

from __future__ import annotations

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

MODELS = {
    "MiniMax-Hailuo-02": ModelSpec(
        name="MiniMax-Hailuo-02",
        durations_s=(6, 10),
        resolutions=("512p", "768p", "1080p"),
        resolution_durations={"1080p": (6,)},
        aspects=("16:9",),
        accepts_image=True,
    ),
    "S2V-01": ModelSpec(
        name="S2V-01", durations_s=(6,), resolutions=("720p",), aspects=("16:9",), accepts_character=True
    ),
}
_FIXED_FORMAT = {"S2V-01"}
# base_resp.status_code -> how to treat it (MiniMax's error code table).
_RATE = {1002, 1039, 1041, 2045}
_AUTH = {1004, 2038, 2049}
_CREDIT = {1008, 2056}
_REJECTED = {1026, 1027, 1042, 2013}
_SERVER = {1000, 1001, 1024, 1033}
_RUNNING = {"Preparing": 0.1, "Queueing": 0.2, "Processing": 0.5}


def _error(code: int, message: str, wait: float | None) -> ProviderError:
    text = f"MiniMax {code}: {message}"
    if code in _RATE:
        return rate_limited(text, retry_after=wait)
    if code in _AUTH:
        return auth_failed(text)
    if code in _CREDIT:
        return out_of_credit(text)
    if code in _SERVER:
        return unavailable(text, retry_after=wait)
    return rejected(text)


class MiniMax:
    name = "minimax"
    procedural = False
    models = MODELS

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        group_id: str,
        default_model: str,
        timeout_s: float,
        downloads: Downloads,
    ) -> None:
        self.default_model = default_model
        self._group_id = group_id
        self._http = ProviderHttp(
            self.name, base_url, {"Authorization": f"Bearer {api_key}"}, timeout_s=timeout_s, downloads=downloads
        )

    def _checked(self, response: httpx.Response) -> dict[str, Any]:
        """The answer's body if it reports success; otherwise the error it reports."""
        try:
            body = response.json()
        except ValueError:
            body = None
        base = body.get("base_resp") if isinstance(body, dict) else None
        wait = retry_after(response.headers)
        if isinstance(base, dict) and base.get("status_code") not in (None, 0):
            raise _error(int(base["status_code"]), str(base.get("status_msg", "")), wait)
        status = response.status_code
        if status in {401, 403}:
            raise auth_failed(f"MiniMax refused our key (HTTP {status})")
        if status == 429:
            raise rate_limited("MiniMax: too many requests (HTTP 429)", retry_after=wait)
        if status >= 500:
            raise unavailable(f"MiniMax answered HTTP {status}", retry_after=wait)
        if status >= 400:
            raise rejected(f"MiniMax refused the request (HTTP {status})")
        if not isinstance(body, dict):
            return dict(self._http.json_of(response) or {})  # raises: not JSON
        return body

    async def submit(self, job: VideoJob, dest: Path) -> Outcome:
        request: dict[str, Any] = {"model": job.model, "prompt": job.prompt, "prompt_optimizer": True}
        if job.model not in _FIXED_FORMAT:
            request["duration"] = int(job.duration_s)
            request["resolution"] = job.resolution.upper()
        if job.first_frame is not None:
            request["first_frame_image"] = job.first_frame.data_url()
        if job.character is not None:
            request["subject_reference"] = [{"type": "character", "image": [job.character.data_url()]}]
        body = self._checked(await self._http.send("POST", "/v1/video_generation", json=request))
        task_id = body.get("task_id")
        if not isinstance(task_id, str | int) or not str(task_id):
            raise unavailable("MiniMax accepted the task without a task_id")
        return Outcome(task_id=str(task_id), fraction=0.0)

    async def poll(self, task_id: str, dest: Path) -> Outcome:
        response = await self._http.send("GET", "/v1/query/video_generation", params={"task_id": task_id})
        try:
            failed = response.json().get("status") == "Fail"
        except (ValueError, AttributeError):
            failed = False
        if failed:  # the reason (a moderation code, say) rides in base_resp: it is the task's, not the call's
            reason = (response.json().get("base_resp") or {}).get("status_msg") or "the task failed"
            raise generation_failed(f"MiniMax failed the task: {reason}")
        body = self._checked(response)
        status = body.get("status")
        if status == "Success":
            file_id = body.get("file_id")
            if not file_id:
                raise unavailable("MiniMax reported success without a file_id")
            await self._http.download(await self._download_url(str(file_id)), dest)
            return Outcome(task_id=task_id, video=dest)
        # Preparing, Queueing, Processing; a status MiniMax adds later is also "still running".
        return Outcome(task_id=task_id, fraction=_RUNNING.get(str(status), 0.3))

    async def _download_url(self, file_id: str) -> str:
        params = {"file_id": file_id, **({"GroupId": self._group_id} if self._group_id else {})}
        body = self._checked(await self._http.send("GET", "/v1/files/retrieve", params=params))
        url = (body.get("file") or {}).get("download_url")
        if not isinstance(url, str) or not url:
            raise unavailable("MiniMax's file has no download_url")
        return url

    async def close(self) -> None:
        await self._http.close()
