"""Helpers for integration tests."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message

from reelforge_common.bus import Bus, ConsumerRunner, Event, Route, Subscription
from reelforge_common.db import Database, first_delivery
from reelforge_common.telemetry import Metrics

SCRIPTS = Path(__file__).resolve().parent / "scripts"


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout_s: float = 20.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout_s``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)


async def start_script(name: str, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """Start ``scripts/<name>.py`` in a child process, its output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPTS / f"{name}.py"),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def read_until(proc: asyncio.subprocess.Process, marker: str, timeout_s: float = 30.0) -> None:
    """Read the child's output until a line contains ``marker``."""
    assert proc.stdout is not None
    seen: list[str] = []

    async def scan() -> None:
        assert proc.stdout is not None
        while line := (await proc.stdout.readline()).decode():
            seen.append(line)
            if marker in line:
                return
        raise AssertionError(f"child exited before printing {marker!r}:\n{''.join(seen)}")

    try:
        await asyncio.wait_for(scan(), timeout_s)
    except TimeoutError:
        pytest.fail(f"child did not print {marker!r} within {timeout_s}s:\n{''.join(seen)}")


class Recorder:
    """A handler that records the events it receives and can be told to fail."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.events: list[Event[Message]] = []
        self.times: list[float] = []
        self.fail_with = fail_with

    async def __call__(self, event: Event[Message]) -> None:
        self.events.append(event)
        self.times.append(asyncio.get_running_loop().time())
        if self.fail_with is not None:
            raise self.fail_with

    @property
    def ids(self) -> list[str]:
        return [e.event_id for e in self.events]


async def run_consumer(bus: Bus, subscription: Subscription) -> ConsumerRunner:
    runner = ConsumerRunner(bus, subscription, Metrics("test"))
    await runner.start()
    return runner


def subscription(
    durable: str, event_type: str, message_type: type[Message], handler: Recorder, **options: object
) -> Subscription:
    return Subscription(durable=durable, routes=(Route(event_type, message_type, handler),), **options)  # type: ignore[arg-type]


EFFECTS_TABLE = "CREATE TABLE IF NOT EXISTS effects (event_id uuid PRIMARY KEY, applied_at timestamptz DEFAULT now())"


async def apply_effect_once(db: Database, event: Event[Any], consumer: str = "effects") -> bool:
    """A consumer's effect, recorded with the inbox in one transaction.
    Returns False when the event had already been applied."""
    async with db.transaction() as conn:
        if not await first_delivery(conn, consumer=consumer, event_id=event.event_id):
            return False
        await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", event.event_id)
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
