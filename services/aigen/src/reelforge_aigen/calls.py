"""One call to a provider, made well: through its circuit breaker, retried
(tenacity) with jittered exponential backoff on retryable errors only,
honouring the provider's Retry-After, and counted in the metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_random_exponential

from reelforge_aigen.breaker import CircuitBreaker
from reelforge_aigen.config import AigenSettings
from reelforge_aigen.providers.base import ProviderError
from reelforge_common.telemetry import Metrics

T = TypeVar("T")


@dataclass
class Attempts:
    """Provider calls made for one piece of work, retries included."""

    count: int = 0


class CircuitOpenError(ProviderError):
    """The provider's circuit is open: the call was not made."""

    def __init__(self, provider: str, retry_in: float) -> None:
        super().__init__(
            "provider_unavailable",
            f"{provider} is failing: its circuit is open (next trial in {retry_in:.0f} s)",
            retryable=False,
            counts_against=False,
        )


class ProviderCalls:
    def __init__(
        self,
        settings: AigenSettings,
        metrics: Metrics,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self._backoff = wait_random_exponential(
            multiplier=settings.provider_backoff_s, max=settings.provider_backoff_max_s
        )
        self._calls = metrics.counter(
            "provider_requests_total", "Calls to AI providers, by provider and outcome (ok or error code).",
            ["provider", "outcome"],
        )  # fmt: skip
        self._latency = metrics.histogram(
            "provider_request_duration_seconds", "Time of one call to an AI provider.", ["provider"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )  # fmt: skip
        self._open = metrics.gauge("provider_circuit_open", "1 while a provider's circuit is open.", ["provider"])

    def breaker(self, provider: str) -> CircuitBreaker:
        if provider not in self._breakers:
            self._breakers[provider] = CircuitBreaker(
                failures=self._settings.breaker_failures,
                cooldown_s=self._settings.breaker_cooldown_s,
                clock=self._clock,
            )
        return self._breakers[provider]

    def _retryable(self, exc: BaseException) -> bool:
        if not isinstance(exc, ProviderError) or not exc.retryable:
            return False
        return exc.retry_after is None or exc.retry_after <= self._settings.max_retry_after_s

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = float(self._backoff(state))
        if isinstance(exc, ProviderError) and exc.retry_after is not None:
            return exc.retry_after
        return backoff

    async def call(self, provider: str, request: Callable[[], Awaitable[T]], attempts: Attempts) -> T:
        """``request()`` with the breaker and retries; the last error if every attempt failed."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._settings.provider_max_attempts),
            wait=self._wait,
            retry=retry_if_exception(self._retryable),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(provider, request, attempts)
        raise AssertionError("unreachable: tenacity either returns or reraises")

    async def _once(self, provider: str, request: Callable[[], Awaitable[T]], attempts: Attempts) -> T:
        breaker = self.breaker(provider)
        if not breaker.allow():
            self._calls.labels(provider, "circuit_open").inc()
            raise CircuitOpenError(provider, breaker.retry_in())
        attempts.count += 1
        started = time.perf_counter()
        try:
            result = await request()
        except ProviderError as exc:
            if exc.counts_against:
                breaker.failed()
            else:
                breaker.succeeded()
            self._calls.labels(provider, exc.code).inc()
            raise
        except BaseException:
            breaker.released()
            raise
        finally:
            self._latency.labels(provider).observe(time.perf_counter() - started)
            self._open.labels(provider).set(1.0 if breaker.state == "open" else 0.0)
        breaker.succeeded()
        self._open.labels(provider).set(0.0)
        self._calls.labels(provider, "ok").inc()
        return result
