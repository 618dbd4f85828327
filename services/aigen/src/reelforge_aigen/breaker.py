"""A circuit breaker per provider, in each replica.

Closed, it lets calls through and counts consecutive failures that say the
provider is unhealthy; at ``failures`` it opens and refuses calls for
``cooldown_s``; then one trial call goes through (half open): its success
closes the circuit, its failure opens it again. State is per replica, like
the connections it protects; a shared state would add a database round
trip to every call for little gain.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, *, failures: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = failures
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self._cooldown_s else "open"

    def retry_in(self) -> float:
        """Seconds until an open circuit lets a trial call through."""
        if self._opened_at is None:
            return 0.0
        return max(self._cooldown_s - (self._clock() - self._opened_at), 0.0)

    def allow(self) -> bool:
        """Whether a call may go now; in half open state, one at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial:
            self._trial = True
            return True
        return False

    def succeeded(self) -> None:
        self._failures, self._opened_at, self._trial = 0, None, False

    def failed(self) -> None:
        self._trial = False
        if self._opened_at is not None:  # the trial failed: open for another cooldown
            self._opened_at = self._clock()
            return
        self._failures += 1
        if self._failures >= self._threshold:
            self._opened_at = self._clock()

    def released(self) -> None:
        """A call that neither succeeded nor failed (cancelled) gives its trial back."""
        self._trial = False
