"""Blocking work (a model over a whole file) run in a worker thread while
the event loop announces its progress."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
# Given to the work: call it from the worker thread with the fraction done, 0 to 1.
ProgressSink = Callable[[float], None]


async def run_reporting(
    work: Callable[[ProgressSink], T], *, report: Callable[[float], Awaitable[None]], every_s: float
) -> T:
    """Run ``work(on_progress)`` in a worker thread; at most every ``every_s``
    seconds, while it runs, await ``report(fraction)`` if the fraction advanced."""
    loop = asyncio.get_running_loop()
    latest = [0.0]

    def on_progress(fraction: float) -> None:
        loop.call_soon_threadsafe(latest.__setitem__, 0, fraction)

    task = asyncio.create_task(asyncio.to_thread(work, on_progress))
    announced = -1.0
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=every_s)
            if not task.done() and latest[0] > announced:
                announced = latest[0]
                await report(announced)
    except BaseException:
        # A thread cannot be interrupted: it finishes on its own, its outcome unread.
        task.add_done_callback(_observe)
        raise
    return await task


def _observe(task: asyncio.Task[T]) -> None:
    if not task.cancelled():
        task.exception()
