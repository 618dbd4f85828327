"""Waiting for an asset to settle by polling (sync and async share the clock)."""

from __future__ import annotations

import time
from collections.abc import Callable

from reelforge_sdk.errors import ReelforgeError
from reelforge_sdk.models import Asset


class AssetWait:
    """The deadline and poll interval of one ``wait_for_asset`` call."""

    def __init__(self, *, timeout: float, poll_interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._clock = clock
        self._deadline = clock() + timeout

    def next_delay(self, asset: Asset) -> float:
        """How long to sleep before the next poll; raises ``timeout`` past the deadline."""
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise ReelforgeError(
                code="timeout",
                title="The asset did not settle in time",
                detail=f"asset {asset.id} is still {asset.status} after {self.timeout:g} s",
            )
        return min(self.poll_interval, remaining)
