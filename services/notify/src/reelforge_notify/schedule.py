"""When a failed delivery (or email) is tried again.

The first attempt is immediate; after the n-th failure the next waits the
n-th delay of the schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h by
default), give or take the jitter, or longer when the receiver asked for it
with ``Retry-After``. After the last delay's attempt the delivery has failed.
Every duration is multiplied by the settings' ``time_scale``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetrySchedule:
    delays_s: tuple[float, ...]
    jitter: float = 0.1
    max_retry_after_s: float = 36000.0
    time_scale: float = 1.0

    @property
    def attempts(self) -> int:
        """Attempts a delivery gets in all."""
        return len(self.delays_s) + 1

    def delay_after(
        self, failures: int, retry_after_s: float | None = None, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to wait after the ``failures``-th failed attempt, or None when no attempt is left."""
        if failures < 1 or failures > len(self.delays_s):
            return None
        spread = self.jitter * (2 * (rng or random).random() - 1)
        delay = self.delays_s[failures - 1] * (1 + spread)
        if retry_after_s is not None and retry_after_s <= self.max_retry_after_s:
            delay = max(delay, retry_after_s)
        return delay * self.time_scale

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
