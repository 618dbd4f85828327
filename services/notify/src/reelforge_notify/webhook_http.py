"""One webhook request: a POST to the endpoint's URL, SSRF-safe, bounded in time
and in how much of the answer is read."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpcore

from reelforge_common.safe_egress import AddressPolicy, ForbiddenTargetError, GuardedBackend, check_url


@dataclass(frozen=True)
class Answer:
    status_code: int  # 0: no HTTP answer
    latency_ms: float
    error: str = ""
    excerpt: str = ""
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


class WebhookClient:
    def __init__(self, policy: AddressPolicy, *, timeout_s: float, excerpt_bytes: int, max_connections: int) -> None:
        self._timeout_s = timeout_s
        self._excerpt_bytes = excerpt_bytes
        self._pool = httpcore.AsyncConnectionPool(
            network_backend=GuardedBackend(policy), max_connections=max_connections, keepalive_expiry=30.0
        )

    async def post(self, url: str, headers: list[tuple[bytes, bytes]], body: bytes) -> Answer:
        started = time.perf_counter()

        def answer(status_code: int, error: str = "", excerpt: bytes = b"", retry_after: str | None = None) -> Answer:
            latency_ms = (time.perf_counter() - started) * 1000
            text = excerpt.decode("utf-8", "replace")
            return Answer(status_code, latency_ms, error, text, retry_after)

        try:
            check_url(url)
            timeouts = {"connect": self._timeout_s, "read": self._timeout_s, "write": self._timeout_s, "pool": None}
            async with (
                asyncio.timeout(self._timeout_s),
                self._pool.stream(
                    "POST", url, headers=headers, content=body, extensions={"timeout": timeouts}
                ) as response,
            ):
                excerpt = b""
                async for chunk in response.aiter_stream():
                    excerpt += chunk
                    if len(excerpt) >= self._excerpt_bytes:
                        break
                found = {name.lower(): value for name, value in response.headers}
                retry_after = found.get(b"retry-after")
                return answer(
                    response.status,
                    "" if 200 <= response.status < 300 else f"HTTP {response.status}",
                    excerpt[: self._excerpt_bytes],
                    retry_after.decode("latin-1") if retry_after else None,
                )
        except ForbiddenTargetError as exc:
            return answer(0, f"{exc.code}: {exc.detail}")
        except TimeoutError:
            return answer(0, f"no answer within {self._timeout_s:g} s")
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            return answer(0, f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        await self._pool.aclose()
