"""A local webhook receiver: records what the notify service sends and answers as told.

For trying webhooks against the local stack (``reelforge-stack
webhook-receiver``), and for the tests and the benchmark, which script its
answers (status codes, ``Retry-After``, hanging) and read what arrived. A
minimal HTTP/1.1 server on asyncio, keep-alive included.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_MAX_HEAD = 64 * 1024
_REASONS = {200: "OK", 204: "No Content", 410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error"}


@dataclass(frozen=True)
class Received:
    """One request as it arrived, ``at`` on the ``time.time()`` clock."""

    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    # Never answer (the sender times out or dies waiting).
    hang: bool = False


class WebhookReceiver:
    """Listens on ``host:port`` (0: a free port); ``replies`` answer the requests
    in order, then ``default`` answers every further one."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, default: Reply | None = None) -> None:
        self.host = host
        self.port = port
        self.replies: list[Reply] = []
        self.default = default or Reply()
        self.received: list[Received] = []
        self.on_request: Callable[[Received], None] | None = None
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> WebhookReceiver:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.close()
            self._closing.set()  # hanging answers end
            for writer in self._writers:
                writer.close()
            await self._server.wait_closed()

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        """Wait until at least ``count`` requests arrived; returns them all."""
        async with asyncio.timeout(timeout_s), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while request := await _read_request(reader):
                async with self._arrived:
                    self.received.append(request)
                    self._arrived.notify_all()
                if self.on_request is not None:
                    self.on_request(request)
                reply = self.replies.pop(0) if self.replies else self.default
                if reply.hang:
                    await self._closing.wait()
                    return
                reason = _REASONS.get(reply.status, "Status")
                headers = {"Content-Length": "0", **reply.headers}
                head = f"HTTP/1.1 {reply.status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                writer.write(head.encode("latin-1") + b"\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> Received | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed the connection
    if len(head) > _MAX_HEAD:
        raise ValueError("request head too large")
    at = time.time()
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Received(at, method, path, headers, body)
