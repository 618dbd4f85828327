"""Refuse U+0000 in a ``/v1`` request's path, query or JSON body.

Postgres text cannot hold a NUL character, so one that reaches a service's
SQL (an id in the path, a filter in the query, a name in the body) fails
there as an internal error. It is refused here, once, for every route, as
``validation_failed``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge_gateway.problems import problem_response

_ESCAPED_NUL = b"\\u0000"
_REFUSAL = "the path, the query and JSON strings may not contain U+0000"


class RefuseNullCharacters:
    """Pure ASGI middleware: JSON bodies are read whole (FastAPI would read
    them whole anyway) and handed on; other bodies stream through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self._app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            await problem_response("validation_failed", _REFUSAL)(scope, receive, send)
            return
        if not _is_json(Headers(scope=scope).get("content-type", "")):
            await self._app(scope, receive, send)
            return
        body = await _read_body(receive)
        if _ESCAPED_NUL in body and _holds_nul(body):
            await problem_response("validation_failed", _REFUSAL)(scope, receive, send)
            return
        await self._app(scope, _replaying(body, receive), send)


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the body over once, then waits as the original does (for a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _holds_nul(body: bytes) -> bool:
    """Whether a key or string of the JSON document holds U+0000 (False if it
    is not JSON: the route answers ``malformed_request``)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False
    pending: list[Any] = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False
