"""When to try a request again, and how long to wait first.

Every request the SDK sends is safe to repeat: GET, PUT, DELETE and PATCH
(a JSON merge patch) are idempotent, and every POST carries an
``Idempotency-Key`` that stays the same across attempts. So connection
failures, 429 and 502/503/504 are retried a bounded number of times with
exponential backoff, honouring ``Retry-After``
(see :meth:`RetryPolicy.delay_after_response` for the exceptions).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from reelforge_sdk.errors import ReelforgeError, is_problem_document, retry_after_seconds

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# Object stores also ask for a retry with a plain 500 (S3 "InternalError").
PART_RETRYABLE_STATUSES = RETRYABLE_STATUSES | {500}


def _jitter(delay: float) -> float:
    # Spread simultaneous clients apart; not security sensitive.
    return delay * random.uniform(0.5, 1.0)  # noqa: S311


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait between attempts.

    ``jitter`` maps a computed delay to the one actually slept; pass
    ``lambda d: d`` for deterministic delays.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0
    jitter: Callable[[float], float] = field(default=_jitter, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait before retry number ``attempt + 1``."""
        return self.jitter(min(self.backoff_max, self.backoff_base * 2**attempt))

    def delay_after_response(
        self, attempt: int, response: httpx.Response, *, statuses: frozenset[int] = RETRYABLE_STATUSES
    ) -> float | None:
        """Seconds to wait before retrying this answer, or None to stop here.

        A 429 is retried only when its ``Retry-After`` says when (a spent
        monthly quota says nothing, and waiting seconds will not help). A
        ``Retry-After`` beyond ``max_retry_after`` is not waited for. A 502 or
        504 that is the API's own problem document (``url_fetch_failed``) is an
        answer, not a proxy's hiccup.
        """
        status = response.status_code
        if attempt >= self.max_retries or status not in statuses:
            return None
        retry_after = retry_after_seconds(response)
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        if status == 429 or (status in (502, 504) and is_problem_document(response)):
            return None
        return self.backoff(attempt)

    def delay_after_error(self, attempt: int) -> float | None:
        """Seconds to wait before retrying after a transport failure, or None."""
        if attempt >= self.max_retries:
            return None
        return self.backoff(attempt)


NO_RETRY = RetryPolicy(max_retries=0)


class Attempts:
    """The retry bookkeeping of one request; the clients own the sending and sleeping.

    After each try, ask :meth:`after_response` or :meth:`after_error` for the
    seconds to wait before the next one. ``after_response`` answers None when
    the response is final (success, or an error not worth retrying);
    ``after_error`` raises once the retries are spent.
    """

    def __init__(self, policy: RetryPolicy, *, statuses: frozenset[int] = RETRYABLE_STATUSES) -> None:
        self._policy = policy
        self._statuses = statuses
        self.count = 0

    def after_response(self, response: httpx.Response) -> float | None:
        delay = self._policy.delay_after_response(self.count, response, statuses=self._statuses)
        self.count += 1
        return delay

    def after_error(self, error: httpx.TransportError, url: httpx.URL | str | None = None) -> float:
        delay = self._policy.delay_after_error(self.count)
        if delay is None:
            raise ReelforgeError.from_transport(error, url) from error
        self.count += 1
        return delay
