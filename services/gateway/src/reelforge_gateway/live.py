"""Live job changes: every gateway replica hears every change of the read model.

The replica that applies a change to a job's row publishes the row, as the
public ``Job`` JSON, on the core NATS subject ``<prefix>-live.jobs.<tenant>``
(outside the event streams: nothing is stored). Each open stream subscribes
to its tenant's subject, so a watcher sees changes whichever replica made
them. The row's ``version`` (one sequence over all changes) is the event id; a
stream that reconnects, or that sat idle, reads the rows changed since the
last version it delivered, so a change missed while NATS was away still
arrives.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import nats.errors

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge.events.v1.jobs_pb2 import JobChanged
from reelforge_common.bus import Bus, new_envelope
from reelforge_common.bus.subjects import check_tenant_id
from reelforge_common.db import add_to_outbox
from reelforge_common.telemetry import Metrics
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.job_view import JobViews
from reelforge_gateway.projection import JobStatus, JobUpdate
from reelforge_gateway.store.jobs import apply_update, changes_since, latest_version

log = logging.getLogger(__name__)
_VERSION_HEADER = "Rf-Job-Version"
_ENDED = frozenset({JobStatus.SUCCEEDED.value, JobStatus.FAILED.value})
# Changes a subscriber may fall behind by before NATS drops its messages (the
# idle catch-up then reads them from the database).
_PENDING_LIMIT = 10_000
# Rows read from the database at a time when catching up.
_CATCH_UP_PAGE = 500
TERMINAL = frozenset({JobStatus.SUCCEEDED.value, JobStatus.FAILED.value})
# Jobs whose last delivered version a tenant-wide stream remembers.
_REMEMBERED_JOBS = 10_000


@dataclass(frozen=True)
class JobChange:
    """One change of one job: ``version`` is the event id, ``job`` the public JSON."""

    version: int
    job_id: str
    status: str
    kind: str
    job: str

    @classmethod
    def of(cls, version: int, job: Job) -> JobChange:
        return cls(version, job.id, job.status, job.kind, job.model_dump_json())

    @classmethod
    def from_message(cls, data: bytes, version: str) -> JobChange | None:
        try:
            job = Job.model_validate_json(data)
            return cls(int(version), job.id, job.status, job.kind, data.decode())
        except ValueError as exc:
            log.warning("unreadable live job change: %r", exc)
            return None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


def _job_changed(row: dict[str, Any]) -> Envelope:
    changed = JobChanged(
        job_id=row["id"],
        kind=row["kind"],
        status=row["status"],
        stage=row["stage"] or "",
        progress=row["progress"],
        resource_id=row["resource_id"] or "",
        error_code=row["error_code"] or "",
        error_message=row["error_message"] or "",
        version=row["version"],
    )
    return new_envelope(
        event_type="job.changed",
        tenant_id=row["tenant_id"],
        payload=changed,
        producer="gateway",
        correlation_id=row["id"],
    )


class JobFeed:
    """Publishes the read model's changes and follows them per tenant."""

    def __init__(
        self, bus: Bus, pool: asyncpg.Pool, views: JobViews, metrics: Metrics, *, idle_s: float = 15.0
    ) -> None:
        self._bus = bus
        self._pool = pool
        self.views = views
        self.idle_s = idle_s
        self._finished = metrics.counter(
            "jobs_finished_total", "Jobs that ended, by kind and status.", ["kind", "status"]
        )
        self._duration = metrics.histogram(
            "job_duration_seconds",
            "Time from a job's acceptance to its end, by kind and status.",
            ["kind", "status"],
            buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
        )

    async def _change(self, row: dict[str, Any]) -> JobChange:
        return JobChange.of(row["version"], await self.views.job(row))

    def _subject(self, tenant_id: str) -> str:
        return f"{self._bus.prefix}-live.jobs.{check_tenant_id(tenant_id)}"

    async def apply(self, update: JobUpdate) -> dict[str, Any] | None:
        """Apply ``update`` to the read model and, if the row changed, tell
        every replica; returns the changed row. A change of the job's state
        is announced (``job.changed``, for webhooks and emails) in the same
        transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            row, state_changed = await apply_update(conn, update)
            if row is not None and state_changed:
                await add_to_outbox(conn, _job_changed(row))
        if row is None:
            return None
        if state_changed and row["status"] in _ENDED:
            self._finished.labels(row["kind"], row["status"]).inc()
            elapsed = (row["updated_at"] - row["created_at"]).total_seconds()
            self._duration.labels(row["kind"], row["status"]).observe(max(elapsed, 0.0))
        await self._publish(row)
        return row

    async def _publish(self, row: dict[str, Any]) -> None:
        # Best effort: a stream that misses it reads it from the database when
        # it next goes idle.
        change = await self._change(row)
        try:
            await self._bus.nc.publish(
                self._subject(row["tenant_id"]),
                change.job.encode(),
                headers={_VERSION_HEADER: str(change.version)},
            )
        except Exception as exc:
            log.warning("live job change not published: %r", exc, extra={"job_id": change.job_id})

    async def now(self, tenant_id: str) -> int:
        """The version a stream "from now on" follows after."""
        return await latest_version(self._pool, tenant_id=tenant_id)

    async def follow(
        self, tenant_id: str, *, after: int, job_id: str | None = None, kind: str | None = None
    ) -> AsyncIterator[JobChange | None]:
        """The tenant's job changes (or one job's) after version ``after``,
        oldest first, then live; yields None when idle (time for a keep-alive).

        Catching up reads each job's current row, so a job that changed
        several times since ``after`` is delivered once, in its latest state.
        A job's change is delivered at most once and never after a newer one.
        """
        delivered: OrderedDict[str, int] = OrderedDict()
        # How far the database has been read; live changes do not move it, so
        # the idle catch-up also finds a change whose live message was lost.
        read_up_to = after

        def fresh(change: JobChange) -> bool:
            if (job_id is not None and change.job_id != job_id) or (kind is not None and change.kind != kind):
                return False
            if change.version <= delivered.get(change.job_id, after):
                return False
            delivered[change.job_id] = change.version
            delivered.move_to_end(change.job_id)
            if len(delivered) > _REMEMBERED_JOBS:
                delivered.popitem(last=False)
            return True

        subscription = await self._bus.nc.subscribe(self._subject(tenant_id), pending_msgs_limit=_PENDING_LIMIT)
        try:
            while True:
                while True:
                    rows = await changes_since(
                        self._pool, tenant_id=tenant_id, version=read_up_to, job_id=job_id, limit=_CATCH_UP_PAGE
                    )
                    for row in rows:
                        change = await self._change(row)
                        read_up_to = change.version
                        if fresh(change):
                            yield change
                    if len(rows) < _CATCH_UP_PAGE:
                        break
                while True:
                    try:
                        message = await subscription.next_msg(timeout=self.idle_s)
                    except nats.errors.TimeoutError:
                        yield None
                        break
                    heard = JobChange.from_message(message.data, (message.headers or {}).get(_VERSION_HEADER, ""))
                    if heard is not None and fresh(heard):
                        yield heard
        finally:
            await subscription.unsubscribe()
