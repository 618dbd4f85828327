"""The transactional outbox and its relay.

A state change and the event announcing it are written in one transaction
(:func:`add_to_outbox`). The relay publishes pending rows to JetStream with
``Nats-Msg-Id`` = event id and deletes them in the transaction that claimed
them. It keeps no cursor: every pass takes the oldest rows still present
(``FOR UPDATE SKIP LOCKED``, so relay replicas share the work), so a row whose
identity value committed after a later one is never skipped. A relay that dies
after publishing but before deleting publishes those rows again, and the
server's duplicate window plus consumer inboxes drop the repeat.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import asyncpg

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge_common.bus.connection import Bus
from reelforge_common.db.connection import Connection
from reelforge_common.db.database import Database
from reelforge_common.telemetry import Metrics

log = logging.getLogger(__name__)


async def add_to_outbox(conn: Connection, envelope: Envelope) -> None:
    """Queue ``envelope`` for publishing when the surrounding transaction commits."""
    await conn.execute(
        "INSERT INTO outbox (event_id, event_type, envelope) VALUES ($1, $2, $3)",
        envelope.event_id,
        envelope.type,
        envelope.SerializeToString(),
    )


class OutboxRelay:
    """Moves committed outbox rows onto the bus."""

    def __init__(self, db: Database, bus: Bus, metrics: Metrics, *, batch: int = 256, idle_poll_s: float = 1.0) -> None:
        self._db = db
        self._bus = bus
        self._batch = batch
        self._idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._channel = f"{db.schema}_outbox"
        self._published = metrics.counter("outbox_published_total", "Outbox events relayed to the bus.")
        self._errors = metrics.counter("outbox_relay_errors_total", "Relay passes or rows that failed.")

    async def relay_once(self) -> int:
        """Publish and delete up to one batch; returns how many rows it moved."""
        async with self._db.transaction() as conn:
            rows = await conn.fetch(
                "SELECT id, envelope FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", self._batch
            )
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish(row["envelope"]) for row in rows), return_exceptions=True)
            published = [row["id"] for row, result in zip(rows, results, strict=True) if result is None]
            # Rows that could not be published stay for the next pass; they
            # must not hold back the ones that were.
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", published)
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            self._errors.inc(len(failures))
            log.warning("outbox rows not published, will retry: %r", failures[0], extra={"failed": len(failures)})
        self._published.inc(len(published))
        return len(rows)

    async def _publish(self, data: bytes) -> None:
        envelope = Envelope()
        envelope.ParseFromString(data)
        await self._bus.publish(envelope)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    @property
    def alive(self) -> bool:
        """Started and its loop has not ended."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        listener: asyncpg.pool.PoolConnectionProxy | None = None
        while not self._stopping.is_set():
            if listener is None or _lost(listener):
                listener = await self._listen(listener)
            try:
                moved = await self.relay_once()
            except Exception as exc:
                self._errors.inc()
                log.warning("outbox relay pass failed: %r", exc)
                moved = 0
            if moved < self._batch:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll_s)
                self._wake.clear()
        if listener is not None:
            await self._release(listener)

    async def _listen(self, stale: asyncpg.pool.PoolConnectionProxy | None) -> asyncpg.pool.PoolConnectionProxy | None:
        """Hold one pooled connection LISTENing for outbox inserts, replacing a
        stale one; until that works, the idle poll alone drives the relay."""
        if stale is not None:
            await self._release(stale)
        try:
            conn = await self._db.pool.acquire()
        except Exception as exc:
            log.warning("outbox listener unavailable, polling: %r", exc)
            return None
        try:
            await conn.add_listener(self._channel, self._on_notify)
        except Exception as exc:
            await self._db.pool.release(conn)
            log.warning("outbox listener unavailable, polling: %r", exc)
            return None
        return conn

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _release(self, conn: asyncpg.pool.PoolConnectionProxy) -> None:
        with suppress(Exception):
            await conn.remove_listener(self._channel, self._on_notify)
        with suppress(Exception):
            await self._db.pool.release(conn)


def _lost(listener: asyncpg.pool.PoolConnectionProxy) -> bool:
    """Whether the listening connection is gone. When the server drops it, the
    pool takes it back and the proxy refuses every call (InterfaceError)."""
    try:
        return listener.is_closed()
    except asyncpg.InterfaceError:
        return True
