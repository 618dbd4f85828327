"""A fake of MiniMax's video generation API (v1), as documented.

``POST /v1/video_generation`` (Bearer key) answers ``{task_id, base_resp}``;
``GET /v1/query/video_generation?task_id=`` walks Preparing, Queueing,
Processing, then Success with a ``file_id`` (a string) or Fail;
``GET /v1/files/retrieve?file_id=`` gives ``file.download_url`` (``file_id``
a number there, as MiniMax sends it); the download needs no key. Errors are
``base_resp.status_code`` with HTTP 200, as MiniMax answers them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge_devstack.fakes.server import FakeState, base_url, sample_video

_HAILUO = {"MiniMax-Hailuo-02": {"512P": (6, 10), "768P": (6, 10), "1080P": (6,)}}
_FIXED = {"T2V-01", "T2V-01-Director", "I2V-01", "I2V-01-Director", "I2V-01-live", "S2V-01"}
_STEPS = ("Preparing", "Queueing", "Processing")


def base_error(code: int, message: str, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An error the way MiniMax reports it (``base_resp``, usually with HTTP 200)."""
    body = {"task_id": "", "base_resp": {"status_code": code, "status_msg": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def rate_limited(retry_after: float | None = None) -> Response:
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    return base_error(1002, "rate limit exceeded", status=429 if headers else 200, headers=headers)


def server_error() -> Response:
    return JSONResponse({"error": "internal"}, status_code=502)


def malformed() -> Response:
    return Response(b'{"task_id": "1234', media_type="application/json")


def _ok(**fields: Any) -> JSONResponse:
    return JSONResponse({**fields, "base_resp": {"status_code": 0, "status_msg": "success"}})


@dataclass
class Task:
    model: str
    polls: int = 0
    fail: str = ""


class FakeMiniMax:
    def __init__(self, api_key: str = "fake-minimax-key", *, polls_until_done: int = 2) -> None:
        self.api_key = api_key
        self.polls_until_done = polls_until_done
        self.state = FakeState()
        self.tasks: dict[str, Task] = {}
        self.submitted: list[dict[str, Any]] = []
        # The next task fails with this moderation message ("" for none).
        self.fail_next_task = ""
        self._ids = itertools.count(106916112212032)
        self.app = Starlette(
            routes=[
                Route("/v1/video_generation", self.create, methods=["POST"]),
                Route("/v1/query/video_generation", self.query, methods=["GET"]),
                Route("/v1/files/retrieve", self.retrieve, methods=["GET"]),
                Route("/download/{file_id}.mp4", self.download, methods=["GET"]),
            ]
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    async def create(self, request: Request) -> Response:
        if (fault := await self.state.enter("submit")) is not None:
            return fault
        if not self._authorised(request):
            return base_error(1004, "login fail: Please carry the API secret key in the 'Authorization' field")
        body = await request.json()
        self.submitted.append(body)
        if problem := self._invalid(body):
            return base_error(2013, f"invalid params, {problem}")
        task_id = str(next(self._ids))
        self.tasks[task_id] = Task(model=body["model"], fail=self.fail_next_task)
        self.fail_next_task = ""
        return _ok(task_id=task_id)

    @staticmethod
    def _invalid(body: dict[str, Any]) -> str:
        model, prompt = body.get("model"), body.get("prompt", "")
        if model not in _HAILUO and model not in _FIXED:
            return f"unknown model {model}"
        if len(prompt) > 2000 or (not prompt and "first_frame_image" not in body):
            return "prompt"
        if model in _FIXED and ("duration" in body or "resolution" in body):
            return f"{model} takes no duration or resolution"
        if model in _HAILUO:
            allowed = _HAILUO[model].get(body.get("resolution", "768P"), ())
            if body.get("duration", 6) not in allowed:
                return "duration and resolution do not match"
        image = body.get("first_frame_image")
        if image is not None and not str(image).startswith(("data:image/", "http://", "https://")):
            return "invalid image url"
        if model == "S2V-01":
            subjects = body.get("subject_reference")
            valid = (
                isinstance(subjects, list)
                and len(subjects) == 1
                and subjects[0].get("type") == "character"
                and isinstance(subjects[0].get("image"), list)
                and len(subjects[0]["image"]) == 1
            )
            if not valid:
                return "subject_reference must be one character with one image"
        return ""

    async def query(self, request: Request) -> Response:
        if (fault := await self.state.enter("query")) is not None:
            return fault
        if not self._authorised(request):
            return base_error(1004, "login fail")
        task_id = request.query_params.get("task_id", "")
        task = self.tasks.get(task_id)
        if task is None:
            return base_error(2013, "invalid params, task not found")
        task.polls += 1
        if task.polls <= self.polls_until_done:
            return _ok(task_id=task_id, status=_STEPS[min(task.polls - 1, 2)], file_id="")
        if task.fail:
            body = {"task_id": task_id, "status": "Fail", "file_id": ""}
            return JSONResponse({**body, "base_resp": {"status_code": 1026, "status_msg": task.fail}})
        return _ok(task_id=task_id, status="Success", file_id=f"{task_id}7", video_width=320, video_height=180)

    async def retrieve(self, request: Request) -> Response:
        if (fault := await self.state.enter("retrieve")) is not None:
            return fault
        if not self._authorised(request):
            return base_error(1004, "login fail")
        file_id = request.query_params.get("file_id", "")
        if not file_id.isdigit():
            return base_error(2013, "invalid params, file_id")
        url = f"{base_url(request)}/download/{file_id}.mp4"
        found = {"file_id": int(file_id), "bytes": len(sample_video()), "created_at": 1700469398,
                 "filename": "output.mp4", "purpose": "video_generation", "download_url": url}  # fmt: skip
        return _ok(file=found)

    async def download(self, request: Request) -> Response:
        if (fault := await self.state.enter("download")) is not None:
            return fault
        return Response(sample_video(), media_type="video/mp4")
