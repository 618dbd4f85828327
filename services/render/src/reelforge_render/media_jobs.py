"""The life of render's composition jobs — exports, comparison videos, mixes
and session videos — around the media work itself.

They share one durable consumer (``render-exports``, ``REELFORGE_RENDER_CONCURRENCY``
at once) and one shape: the job's row says what to make; a delivery of its
``<domain>.requested`` marks it running and makes it; a failure the job
names (``JobFailedError``) fails it at once, any other is retried until the
last delivery, then fails it with the reason; the completion (the row's new
state, ``<domain>.completed`` and the inbox record) and a failure are each
committed once, in one transaction, whoever retries. Progress is announced at
most once a second.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

from google.protobuf.message import Message

from reelforge_common.bus import Event
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_common.ffmpeg_process import FFmpegError, ProgressCallback
from reelforge_common.job_events import JobEvents

CONSUMER = "render-exports"
MAX_DELIVER = 5
_PROGRESS_EVERY_S = 1.0


class JobFailedError(Exception):
    """The job cannot be made (a missing asset, a comparison not ready...): it fails with ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class JobCancelledError(Exception):
    """The tenant cancelled the job while it ran: nothing more is done or recorded."""


class JobRow(Protocol):
    @property
    def tenant_id(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def job_id(self) -> str: ...

    @property
    def finished(self) -> bool: ...


R = TypeVar("R", bound=JobRow)
T = TypeVar("T")


def throttled(report: Callable[[float], Awaitable[None]], every_s: float = _PROGRESS_EVERY_S) -> ProgressCallback:
    """``report`` at most once every ``every_s`` seconds."""
    last = [-math.inf]

    async def progress(fraction: float) -> None:
        now = asyncio.get_running_loop().time()
        if now - last[0] >= every_s:
            last[0] = now
            await report(fraction)

    return progress


class MediaJob(Generic[R, T]):
    """One kind of job: ``load``, ``mark_running``, ``make`` and the two
    ``record_*`` say how; this class says when."""

    events: JobEvents
    stage: str
    # The code of a job that kept failing for a reason other than FFmpeg.
    gave_up_code: str

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, conn: Db, tenant_id: str, row_id: str, *, lock: bool = False) -> R | None:
        raise NotImplementedError

    async def mark_running(self, row: R) -> None:
        raise NotImplementedError

    async def make(self, row: R) -> T:
        raise NotImplementedError

    async def record_completion(self, conn: Connection, row: R, made: T) -> Message:
        """Store what was made in the row; returns the completion event's payload."""
        raise NotImplementedError

    async def record_failure(self, conn: Connection, row: R, code: str, message: str) -> None:
        raise NotImplementedError

    async def handle(self, event: Event[Any], row_id: str) -> None:
        """Make the job ``row_id`` that ``event`` (its ``<domain>.requested``) asks for."""
        row = await self.load(self._db.pool, event.tenant_id, row_id)
        if row is None or row.finished:
            return
        await self.mark_running(row)
        try:
            made = await self.make(row)
        except JobCancelledError:
            return
        except JobFailedError as exc:
            await self.fail(row, event, exc.code, str(exc))
            return
        except Exception as exc:
            if event.attempt < MAX_DELIVER:
                raise
            code = "render_failed" if isinstance(exc, FFmpegError) else self.gave_up_code
            await self.fail(row, event, code, f"gave up after {event.attempt} attempts: {exc}")
            return
        await self.complete(row, event, made)

    async def complete(self, row: R, event: Event[Any], made: T) -> bool:
        """Record the completion once; False when it was not recorded (a
        redelivery, or the job ended meanwhile)."""
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=CONSUMER, event_id=event.event_id):
                return False
            current = await self.load(conn, row.tenant_id, row.id, lock=True)
            if current is None or current.finished:
                return False
            payload = await self.record_completion(conn, row, made)
            await self.events.emit(
                conn, "completed", payload, tenant_id=row.tenant_id, job_id=row.job_id, causation_id=event.event_id
            )
        return True

    async def fail(self, row: R, event: Event[Any], code: str, message: str) -> None:
        async def record(conn: Connection) -> bool:
            current = await self.load(conn, row.tenant_id, row.id, lock=True)
            if current is None or current.finished:
                return False
            await self.record_failure(conn, row, code, message)
            return True

        await self.events.fail_once(
            self._db,
            consumer=CONSUMER,
            event_id=event.event_id,
            record=record,
            tenant_id=row.tenant_id,
            job_id=row.job_id,
            resource_id=row.id,
            code=code,
            message=message,
            stage=self.stage,
        )

    async def announce(self, row: R, fraction: float) -> None:
        async with self._db.transaction() as conn:
            await self.events.progress(
                conn, tenant_id=row.tenant_id, job_id=row.job_id, resource_id=row.id, stage=self.stage,
                fraction=fraction,
            )  # fmt: skip

    def reporter(self, row: R, start: float, span: float) -> ProgressCallback:
        """FFmpeg's progress (0 to 1) announced as ``start`` to ``start + span`` of the job."""

        async def report(fraction: float) -> None:
            await self.announce(row, start + span * fraction)

        return throttled(report)
