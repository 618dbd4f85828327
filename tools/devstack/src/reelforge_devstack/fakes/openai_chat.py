"""A fake OpenAI-compatible chat completions API.

``POST /v1/chat/completions`` with a Bearer key answers a ``chat.completion``
(``choices[0].message.content``, ``usage``); JSON mode without the word
"json" in the messages is refused with 400, as OpenAI does. Errors are
``{"error": {message, type, param, code}}``; a rate limit is 429
``rate_limit_exceeded`` with ``retry-after`` and ``x-ratelimit-*`` headers,
an exhausted quota 429 ``insufficient_quota`` without them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge_devstack.fakes.server import FakeState

Responder = Callable[[list[dict[str, Any]]], str]


def error(status: int, message: str, kind: str, code: str | None, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def rate_limited(retry_after_s: float = 1.0) -> Response:
    headers = {
        "retry-after": f"{retry_after_s:g}",
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": f"{retry_after_s:g}s",
    }
    message = "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1."
    return error(429, message, "requests", "rate_limit_exceeded", headers)


def quota_exhausted() -> Response:
    return error(429, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota")


def server_error() -> Response:
    return error(500, "The server had an error while processing your request.", "server_error", None)


def malformed() -> Response:
    return Response(b'{"id": "chatcmpl-1", "choices": [', media_type="application/json")


class FakeChat:
    def __init__(self, api_key: str = "fake-llm-key", responder: Responder | None = None) -> None:
        self.api_key = api_key
        self.responder: Responder = responder or (lambda messages: '{"ok": true}')
        self.state = FakeState()
        self.requests: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])])

    async def complete(self, request: Request) -> Response:
        if (fault := await self.state.enter("chat")) is not None:
            return fault
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        body = await request.json()
        self.requests.append(body)
        messages = body.get("messages") or []
        if (body.get("response_format") or {}).get("type") == "json_object" and not any(
            "json" in str(m.get("content", "")).lower() for m in messages
        ):
            message = (
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type json_object."
            )
            return error(400, message, "invalid_request_error", None)
        content = self.responder(messages)
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
        return JSONResponse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "gpt-4o-mini"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(content) // 4 + 1,
                    "total_tokens": prompt_tokens + len(content) // 4 + 1,
                },
            }
        )
