"""The loop that works a Postgres queue (deliveries, emails): claim what is
due, up to the free slots, handle each in its own task, sleep until the next
item is due or somebody wakes the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
# The longest the loop sleeps: new work from another replica is seen this soon.
_MAX_IDLE_S = 1.0
_MIN_IDLE_S = 0.005
_ERROR_PAUSE_S = 1.0


class QueueWorker(Generic[T]):
    def __init__(
        self,
        name: str,
        *,
        claim: Callable[[int], Awaitable[Sequence[T]]],
        next_due_in: Callable[[], Awaitable[float | None]],
        handle: Callable[[T], Awaitable[None]],
        concurrency: int,
    ) -> None:
        self.name = name
        self._claim = claim
        self._next_due_in = next_due_in
        self._handle = handle
        self._concurrency = concurrency
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """New work is due now."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self._round()
                except Exception as exc:  # the database is away: try again shortly
                    log.warning("%s: %r", self.name, exc)
                    await asyncio.sleep(_ERROR_PAUSE_S)
        finally:
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _round(self) -> None:
        self._wake.clear()
        free = self._concurrency - len(self._running)
        claimed = await self._claim(free) if free > 0 else []
        for item in claimed:
            task = asyncio.create_task(self._guarded(item))
            self._running.add(task)
            task.add_done_callback(self._finished)
        if claimed and len(claimed) == free:
            return  # there may be more due
        due_in = await self._next_due_in() if free > 0 else None
        if claimed and due_in is not None and due_in <= 0:
            return
        idle = _MAX_IDLE_S if due_in is None else min(max(due_in, _MIN_IDLE_S), _MAX_IDLE_S)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=idle)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free

    async def _guarded(self, item: T) -> None:
        try:
            await self._handle(item)
        except Exception:
            # The item stays claimed until its lease ends, then is tried again.
            log.exception("%s: handling failed", self.name)
