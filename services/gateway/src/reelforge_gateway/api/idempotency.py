"""``Idempotency-Key`` on POST, as draft-ietf-httpapi-idempotency-key-header has it.

The first request with a key runs and its response is kept (``REELFORGE_
IDEMPOTENCY_TTL_S``, a day by default); the same key with the same request
replays that response, marked ``Idempotent-Replayed: true``; the same key with
a different request answers 422 ``idempotency_key_reused``; the same key while
the first request still runs answers 409 ``idempotency_request_in_flight``.

A request is its method, path, query and body. A multipart body is compared
without its boundary, which clients pick at random on each try (MIME forbids
the boundary inside the content, so removing it removes nothing else). The body is
hashed as it streams past, never buffered, so a retried 10 GB upload costs
no memory. Responses worth replaying are kept: 2xx, and 4xx other than 408,
409, 425 and 429; a 5xx, a refusal that may pass later or a request that ended
without reading its whole body frees the key for the next try. The database
keeps a hash of the key and the response sealed with it (``sealing``): a
replayed response may hold a secret shown once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator

import asyncpg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge_gateway.problems import problem_response
from reelforge_gateway.sealing import record_key, seal, unseal
from reelforge_gateway.store import idempotency as records
from reelforge_gateway.store.idempotency import StoredResponse

_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# An in-flight claim lasts this long unless renewed; renewed a third of the way.
_LEASE_S = 60.0
_NOT_REPLAYED = frozenset({408, 409, 425, 429})
_MAX_KEPT_BODY = 1024 * 1024
_UNKEPT_HEADERS = frozenset({b"date", b"server"})


def key_of(header: str) -> str | None:
    """The key from the header (a bare token, or a quoted structured-field string); None if malformed."""
    if len(header) >= 2 and header[0] == header[-1] == '"':
        header = header[1:-1]
    return header if _KEY.fullmatch(header) else None


class RequestFingerprint:
    """SHA-256 of a request: method, path, query and body; multipart bodies without their boundary."""

    def __init__(self, scope: Scope) -> None:
        self._hash = hashlib.sha256(
            b"%s %s?%s\n" % (scope["method"].encode(), scope["path"].encode(), scope["query_string"])
        )
        self._boundary = _boundary(scope)
        self._tail = b""
        # A route that takes no body never reads it: such a request is complete as it is.
        self.complete = not _has_body(scope)

    def update(self, message: Message) -> None:
        chunk = message.get("body", b"")
        if self._boundary:
            # Drop every boundary, including one split across chunks: hold back
            # what could be the start of the next one.
            data = (self._tail + chunk).replace(self._boundary, b"")
            keep = len(self._boundary) - 1
            self._tail = data[-keep:] if keep else b""
            chunk = data[: len(data) - len(self._tail)]
        self._hash.update(chunk)
        if not message.get("more_body", False):
            self._hash.update(self._tail)
            self.complete = True

    def digest(self) -> bytes:
        return self._hash.digest()


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"


def _boundary(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-type" and value.lower().startswith(b"multipart/"):
            found = re.search(rb'boundary="?([^";]+)"?', value)
            return found.group(1) if found else b""
    return b""


class IdempotentRequests:
    """Runs POSTs carrying an ``Idempotency-Key`` at most once per key and owner."""

    def __init__(self, pool: asyncpg.Pool, *, ttl_s: float) -> None:
        self._pool = pool
        self._ttl_s = ttl_s

    async def handle(self, app: ASGIApp, owner: str, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        record = record_key(key)
        existing = await records.claim(self._pool, owner=owner, key=record, lease_s=_LEASE_S, ttl_s=self._ttl_s)
        if existing is None:
            await self._first(app, owner, key, scope, receive, send)
        elif existing.response is None:
            await problem_response(
                "idempotency_request_in_flight", "retry once the first request with this key has answered"
            )(scope, receive, send)
        elif await _read_fingerprint(scope, receive) != existing.fingerprint:
            await problem_response("idempotency_key_reused", "this key was used with a different method, path or body")(
                scope, receive, send
            )
        else:
            body = unseal(existing.response.body, owner=owner, key=key)
            await _replay(StoredResponse(existing.response.status, existing.response.headers, body), send)

    async def _first(self, app: ASGIApp, owner: str, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        fingerprint = RequestFingerprint(scope)
        record = record_key(key)
        status = 0
        headers: list[tuple[str, str]] = []
        body = bytearray()
        answered = False

        async def hashing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                fingerprint.update(message)
            return message

        async def capturing_send(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.extend(
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers", [])
                    if name.lower() not in _UNKEPT_HEADERS
                )
            elif message["type"] == "http.response.body":
                if len(body) <= _MAX_KEPT_BODY:
                    body.extend(message.get("body", b""))
                answered = not message.get("more_body", False)
            await send(message)

        renewal = asyncio.create_task(self._renew(owner, record))
        kept = False
        try:
            await app(scope, hashing_receive, capturing_send)
            kept = (
                answered
                and fingerprint.complete
                and len(body) <= _MAX_KEPT_BODY
                and (200 <= status < 300 or (400 <= status < 500 and status not in _NOT_REPLAYED))
            )
            if kept:
                response = StoredResponse(status, headers, seal(bytes(body), owner=owner, key=key))
                await records.complete(
                    self._pool, owner=owner, key=record, fingerprint=fingerprint.digest(), response=response
                )
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            if not kept:
                await asyncio.shield(records.release(self._pool, owner=owner, key=record))

    async def _renew(self, owner: str, record: str) -> None:
        while True:
            await asyncio.sleep(_LEASE_S / 3)
            await records.renew(self._pool, owner=owner, key=record, lease_s=_LEASE_S)


async def _read_fingerprint(scope: Scope, receive: Receive) -> bytes | None:
    """The fingerprint of a repeated request, reading (not keeping) its body;
    None if the client went away before sending all of it."""
    fingerprint = RequestFingerprint(scope)
    async for message in _body_messages(receive):
        fingerprint.update(message)
    return fingerprint.digest() if fingerprint.complete else None


async def _body_messages(receive: Receive) -> AsyncIterator[Message]:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        yield message
        if not message.get("more_body", False):
            return


async def _replay(response: StoredResponse, send: Send) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
