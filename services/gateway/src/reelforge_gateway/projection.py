"""How a job event changes the job's row in the read model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from google.protobuf import any_pb2

from reelforge_common.job_events import JobStatus, job_kind, job_state


@dataclass(frozen=True)
class JobUpdate:
    tenant_id: str
    job_id: str
    kind: str
    status: JobStatus
    at: datetime
    resource_id: str = ""
    stage: str = ""
    progress: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    # Output name -> object key, from the completion event.
    outputs: Mapping[str, str] = field(default_factory=dict)


def update_for(*, event_type: str, tenant_id: str, job_id: str, at: datetime, payload: any_pb2.Any) -> JobUpdate | None:
    """The update an event makes to its job, or None if it says nothing about
    the job's state (an event outside any job, or of an unknown kind)."""
    if not job_id:
        return None
    state = job_state(event_type, payload)
    if state is None:
        return None
    return JobUpdate(tenant_id=tenant_id, job_id=job_id, at=at, **vars(state))


def dead_letter_update(*, event_type: str, tenant_id: str, job_id: str, at: datetime, reason: str) -> JobUpdate | None:
    """A job whose message was dead-lettered has failed, visibly, with the reason."""
    if not job_id:
        return None
    return JobUpdate(
        tenant_id=tenant_id,
        job_id=job_id,
        kind=job_kind(event_type),
        status=JobStatus.FAILED,
        at=at,
        stage=event_type,
        error_code="dead_lettered",
        error_message=reason,
    )
