"""A service's job lifecycle events: written to the outbox in the caller's
transaction (:class:`JobEvents`), and read back (:func:`job_state`).

Every job-running service says the same things about its jobs: requested,
progress (``JobProgress``), failure (``JobFailed``) and its own completion
message. The job's id travels as the envelope's correlation id, which is how
the gateway's read model and the notify service find the job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from google.protobuf import any_pb2
from google.protobuf.message import Message

from reelforge.events.v1.asset_pb2 import AssetIngested
from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge_common.bus import PermanentError, new_envelope
from reelforge_common.db import Database, add_to_outbox, first_delivery
from reelforge_common.db.connection import Connection

# Job kind by event domain where the two differ.
_KIND_BY_DOMAIN = {"asset": "ingest"}
_COMPLETED_EVENTS = {"completed", "ingested"}
# The lifecycle events of every domain, as subscription filters.
LIFECYCLE_EVENTS = ("*.requested", "*.progress", "*.completed", "*.failed", "asset.ingested")
_M = TypeVar("_M", bound=Message)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})


@dataclass(frozen=True)
class JobState:
    """What one lifecycle event says about its job."""

    kind: str
    status: JobStatus
    resource_id: str = ""
    stage: str = ""
    progress: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    # Output name -> object key, from the completion event.
    outputs: Mapping[str, str] = field(default_factory=dict)


def job_kind(event_type: str) -> str:
    domain = event_type.split(".", 1)[0]
    return _KIND_BY_DOMAIN.get(domain, domain)


def job_state(event_type: str, payload: any_pb2.Any) -> JobState | None:
    """The job state a lifecycle event ``<domain>.<name>`` announces, or None
    for an event that says nothing about a job's state."""
    kind = job_kind(event_type)
    name = event_type.split(".", 1)[1]
    if name == "requested":
        return JobState(kind, JobStatus.QUEUED, progress=0.0)
    if name == "progress":
        progress = _unpack(payload, JobProgress())
        fraction = min(max(progress.fraction, 0.0), 1.0)
        return JobState(kind, JobStatus.RUNNING, progress.resource_id, progress.stage, fraction)
    if name in _COMPLETED_EVENTS:
        return JobState(kind, JobStatus.SUCCEEDED, stage="done", progress=1.0, outputs=outputs_of(payload))
    if name == "failed":
        failed = _unpack(payload, JobFailed())
        return JobState(
            kind,
            JobStatus.FAILED,
            failed.resource_id,
            failed.stage,
            error_code=failed.code or "failed",
            error_message=failed.message,
        )
    return None


def outputs_of(payload: any_pb2.Any) -> dict[str, str]:
    """The objects a completion event names as the job's outputs (empty ones left out)."""
    if payload.Is(AssetIngested.DESCRIPTOR):
        asset = _unpack(payload, AssetIngested())
        keys = {
            "original": asset.original_key,
            "thumbnail": asset.thumbnail_key,
            "filmstrip": asset.filmstrip_key,
            "audio": asset.audio_key,
            "proxy": asset.proxy_key,
        }
        return {name: key for name, key in keys.items() if key}
    return {}


def _unpack(payload: any_pb2.Any, message: _M) -> _M:
    if not payload.Unpack(message):
        raise PermanentError(f"expected {message.DESCRIPTOR.full_name}, got {payload.TypeName()}")
    return message


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
