"""A service's job lifecycle events, written to the outbox in the caller's transaction.

Every job-running service says the same things about its jobs: progress
(``JobProgress``), failure (``JobFailed``) and its own completion message. The
job's id travels as the envelope's correlation id, which is how the gateway's
read model finds the job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from google.protobuf.message import Message

from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge_common.bus import new_envelope
from reelforge_common.db import Database, add_to_outbox, first_delivery
from reelforge_common.db.connection import Connection


class JobEvents:
    """Events ``<domain>.<name>`` produced by ``producer``."""

    def __init__(self, *, producer: str, domain: str) -> None:
        self.producer = producer
        self.domain = domain

    async def emit(
        self, conn: Connection, name: str, payload: Message, *, tenant_id: str, job_id: str, causation_id: str = ""
    ) -> None:
        envelope = new_envelope(
            event_type=f"{self.domain}.{name}",
            tenant_id=tenant_id,
            payload=payload,
            producer=self.producer,
            correlation_id=job_id,
            causation_id=causation_id,
        )
        await add_to_outbox(conn, envelope)

    async def progress(
        self,
        conn: Connection,
        *,
        tenant_id: str,
        job_id: str,
        resource_id: str,
        stage: str,
        fraction: float,
        causation_id: str = "",
    ) -> None:
        payload = JobProgress(stage=stage, fraction=fraction, resource_id=resource_id)
        await self.emit(conn, "progress", payload, tenant_id=tenant_id, job_id=job_id, causation_id=causation_id)

    async def failed(
        self,
        conn: Connection,
        *,
        tenant_id: str,
        job_id: str,
        resource_id: str,
        code: str,
        message: str,
        stage: str,
        causation_id: str = "",
    ) -> None:
        payload = JobFailed(code=code, message=message, stage=stage, resource_id=resource_id)
        await self.emit(conn, "failed", payload, tenant_id=tenant_id, job_id=job_id, causation_id=causation_id)

    async def fail_once(
        self,
        db: Database,
        *,
        consumer: str,
        event_id: str,
        record: Callable[[Connection], Awaitable[bool]],
        tenant_id: str,
        job_id: str,
        resource_id: str,
        code: str,
        message: str,
        stage: str,
    ) -> bool:
        """Fail a job exactly once, in one transaction: the inbox record of the
        delivery ``event_id`` (of ``consumer``) that gives up, ``record(conn)``
        (the service marks its own state failed; False when there is nothing
        left to fail) and ``<domain>.failed``. Returns whether it failed the job now."""
        async with db.transaction() as conn:
            if not await first_delivery(conn, consumer=consumer, event_id=event_id):
                return False
            if not await record(conn):
                return False
            await self.failed(
                conn,
                tenant_id=tenant_id,
                job_id=job_id,
                resource_id=resource_id,
                code=code,
                message=message,
                stage=stage,
                causation_id=event_id,
            )
        return True
