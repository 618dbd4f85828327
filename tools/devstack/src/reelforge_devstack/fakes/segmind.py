"""A fake of Segmind's serverless API, as documented.

``x-api-key`` on every call. ``POST /v1/<model>`` answers the media itself
(``x-cost``, ``x-remaining-credits`` headers); ``POST /v2/<model>`` queues
(``request_id``, ``status: QUEUED``, poll and result URLs); ``GET
/v2/requests/<id>/status`` walks QUEUED, PROCESSING, COMPLETED (FAILED with
HTTP 422); ``GET /v2/requests/<id>`` has ``output`` (the result's URL) and
``metrics.cost``. Errors are ``{"error": "..."}``: 401, 406 (credits), 422,
429 (with ``x-rate-limit-reset-at-utc``, no Retry-After).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge_devstack.fakes.server import FakeState, base_url, sample_video

MODELS = {"kling-text2video": 0.28, "ltx-video": 0.057}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def rate_limited(reset_in_s: float = 1.0) -> Response:
    at = (datetime.now(UTC) + timedelta(seconds=reset_in_s)).isoformat().replace("+00:00", "Z")
    return error(429, "Too many requests", {"x-rate-limit-reset-at-utc": at})


def out_of_credit() -> Response:
    return error(406, "Insufficient credits: 0.10 left, 0.28 required")


def server_error() -> Response:
    return error(500, "Server Error")


def malformed() -> Response:
    return Response(b"<html>upstream error</html>", status_code=200, media_type="application/json")


@dataclass
class Request2:
    model: str
    polls: int = 0
    fail: str = ""


class FakeSegmind:
    def __init__(self, api_key: str = "fake-segmind-key", *, polls_until_done: int = 2) -> None:
        self.api_key = api_key
        self.polls_until_done = polls_until_done
        self.state = FakeState()
        self.requests: dict[str, Request2] = {}
        self.submitted: list[dict[str, Any]] = []
        self.fail_next_request = ""
        self.credits = 10.0
        self.app = Starlette(
            routes=[
                Route("/v1/{model}", self.generate_now, methods=["POST"]),
                Route("/v2/requests/{request_id}/status", self.status, methods=["GET"]),
                Route("/v2/requests/{request_id}", self.result, methods=["GET"]),
                Route("/v2/{model}", self.queue, methods=["POST"]),
                Route("/outputs/{request_id}.mp4", self.download, methods=["GET"]),
            ]
        )

    async def _refused(self, request: Request, endpoint: str) -> Response | None:
        if (fault := await self.state.enter(endpoint)) is not None:
            return fault
        if request.headers.get("x-api-key") != self.api_key:
            return error(401, "Unauthorized. API key is invalid or may have expired")
        return None

    async def _body(self, request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        if not request.headers.get("content-type", "").startswith("application/json"):
            return None, error(406, "Invalid content type")
        body = await request.json()
        if not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return None, error(422, "Prompt is Mandatory and must be string")
        self.submitted.append(body)
        return body, None

    async def generate_now(self, request: Request) -> Response:
        model = request.path_params["model"]
        if (refused := await self._refused(request, "v1")) is not None:
            return refused
        if model not in MODELS:
            return error(404, f"model {model} not found")
        _, invalid = await self._body(request)
        if invalid is not None:
            return invalid
        self.credits -= MODELS[model]
        headers = {"x-cost": f"{MODELS[model]}", "x-remaining-credits": f"{self.credits:.3f}"}
        return Response(sample_video(), media_type="video/mp4", headers=headers)

    async def queue(self, request: Request) -> Response:
        model = request.path_params["model"]
        if (refused := await self._refused(request, "submit")) is not None:
            return refused
        if model not in MODELS:
            return error(404, f"model {model} not found")
        _, invalid = await self._body(request)
        if invalid is not None:
            return invalid
        request_id = str(uuid.uuid4())
        self.requests[request_id] = Request2(model=model, fail=self.fail_next_request)
        self.fail_next_request = ""
        root = base_url(request)
        return JSONResponse(
            {
                "request_id": request_id,
                "status": "QUEUED",
                "poll_url": f"{root}/v1/requests/{request_id}",
                "status_url": f"{root}/v2/requests/{request_id}/status",
                "response_url": f"{root}/v2/requests/{request_id}",
            }
        )

    def _found(self, request_id: str) -> Request2 | Response:
        found = self.requests.get(request_id)
        return found if found is not None else error(404, f"Request {request_id} not found")

    async def status(self, request: Request) -> Response:
        request_id = request.path_params["request_id"]
        if (refused := await self._refused(request, "status")) is not None:
            return refused
        found = self._found(request_id)
        if isinstance(found, Response):
            return found
        found.polls += 1
        if found.polls <= self.polls_until_done:
            state = "QUEUED" if found.polls == 1 else "PROCESSING"
            return JSONResponse({"status": state, "request_id": request_id, "metrics": {}})
        if found.fail:
            body = {"status": "FAILED", "error": found.fail, "request_id": request_id, "metrics": {}}
            return JSONResponse(body, status_code=422)
        return JSONResponse({"status": "COMPLETED", "request_id": request_id, "metrics": {"inference_time": 1.2}})

    async def result(self, request: Request) -> Response:
        request_id = request.path_params["request_id"]
        if (refused := await self._refused(request, "result")) is not None:
            return refused
        found = self._found(request_id)
        if isinstance(found, Response):
            return found
        cost = MODELS[found.model]
        return JSONResponse(
            {
                "status": "COMPLETED",
                "error": None,
                "metrics": {"inference_time": 1.2, "cost": cost, "remaining_credits": self.credits - cost},
                "output": f"{base_url(request)}/outputs/{request_id}.mp4",
            }
        )

    async def download(self, request: Request) -> Response:
        if (fault := await self.state.enter("download")) is not None:
            return fault
        return Response(sample_video(), media_type="video/mp4")
