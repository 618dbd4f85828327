"""Rate limits on provider calls: each provider's own (its documented
request rate) and each tenant's share of it, as token buckets in Postgres
shared by every replica. A generation waits for its tokens rather than
failing: the provider's limit paces the queue."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from reelforge_aigen.config import AigenSettings, RateLimit
from reelforge_aigen.store import buckets
from reelforge_common.db import Database
from reelforge_common.telemetry import Metrics


class _RefusedError(Exception):
    def __init__(self, wait_s: float) -> None:
        super().__init__(wait_s)
        self.wait_s = wait_s


class RateLimiter:
    def __init__(
        self,
        db: Database,
        settings: AigenSettings,
        metrics: Metrics,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._settings = settings
        self._sleep = sleep
        self._waited = metrics.histogram(
            "rate_limit_wait_seconds", "Time a provider call waited for its rate-limit tokens.", ["provider"],
            buckets=(0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
        )  # fmt: skip

    async def _take_both(self, provider: str, tenant_id: str) -> float | None:
        """Both tokens or neither: None when granted, else the wait."""
        own = self._settings.rate_limit(provider)
        share = self._settings.tenant_rate_limit
        try:
            async with self._db.transaction() as conn:
                for key, limit in ((f"tenant:{tenant_id}:{provider}", share), (f"provider:{provider}", own)):
                    wait = await buckets.take(conn, key, rate_per_s=_per_s(limit), burst=limit.burst)
                    if wait is not None:
                        raise _RefusedError(wait)  # rolls back a token already taken
        except _RefusedError as refused:
            return refused.wait_s
        return None

    async def acquire(self, provider: str, tenant_id: str, *, timeout_s: float) -> None:
        """Wait for the tokens of one call; TimeoutError after ``timeout_s``."""
        started = time.monotonic()
        while (wait := await self._take_both(provider, tenant_id)) is not None:
            left = timeout_s - (time.monotonic() - started)
            if left <= 0:
                raise TimeoutError(f"no {provider} rate-limit token within {timeout_s:.0f} s")
            await self._sleep(min(max(wait, 0.01), left))
        self._waited.labels(provider).observe(time.monotonic() - started)


def _per_s(limit: RateLimit) -> float:
    return limit.per_minute / 60.0
