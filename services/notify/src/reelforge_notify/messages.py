"""The webhook messages partners receive, made from job lifecycle events.

Every message has the Standard Webhooks shape ``{"type", "timestamp",
"data"}``. Job events become ``job.queued``, ``job.progress``,
``job.succeeded`` and ``job.failed``, whose ``data`` is the job's state as the
event announced it; ``GET /v1/jobs/{job_id}`` has the full job, with download
links. The message id (the ``webhook-id`` header) derives from the event id,
so a redelivered event makes the same message.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf import any_pb2

from reelforge_common.bus import Event
from reelforge_common.job_events import JobState, JobStatus, job_kind, job_state

JOB_EVENT_TYPES = ("job.queued", "job.progress", "job.succeeded", "job.failed")
TEST_EVENT_TYPE = "webhook.test"
EVENT_TYPES = (*JOB_EVENT_TYPES, TEST_EVENT_TYPE)
# Emails are sent for the end of a job only.
EMAIL_EVENT_TYPES = ("job.succeeded", "job.failed")
_TYPE_BY_STATUS = {
    JobStatus.QUEUED: "job.queued",
    JobStatus.RUNNING: "job.progress",
    JobStatus.SUCCEEDED: "job.succeeded",
    JobStatus.FAILED: "job.failed",
}


@dataclass(frozen=True)
class Message:
    id: str
    event_type: str
    job_id: str
    job_kind: str
    data: dict[str, Any]
    # The body every endpoint receives, byte for byte, on every attempt.
    payload: str

    @property
    def terminal(self) -> bool:
        return self.event_type in EMAIL_EVENT_TYPES


def _message(message_id: str, event_type: str, at: datetime, data: dict[str, Any], *, job_kind: str = "") -> Message:
    body = {"type": event_type, "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"), "data": data}
    return Message(
        id=message_id,
        event_type=event_type,
        job_id=str(data.get("job_id", "")),
        job_kind=job_kind,
        data=data,
        payload=json.dumps(body, separators=(",", ":")),
    )


def _job_data(job_id: str, state: JobState) -> dict[str, Any]:
    error = {"code": state.error_code, "message": state.error_message} if state.error_code else None
    return {
        "job_id": job_id,
        "kind": state.kind,
        "status": state.status.value,
        "stage": state.stage,
        "progress": state.progress,
        "resource_id": state.resource_id,
        "error": error,
    }


def job_message(event: Event[any_pb2.Any]) -> Message | None:
    """The message a lifecycle event makes, or None for one outside any job."""
    if not event.correlation_id:
        return None
    state = job_state(event.event_type, event.payload)
    if state is None:
        return None
    data = _job_data(event.correlation_id, state)
    return _message(
        f"msg_{event.event_id}", _TYPE_BY_STATUS[state.status], event.occurred_at, data, job_kind=state.kind
    )


def dead_letter_message(event: Event[any_pb2.Any], reason: str) -> Message | None:
    """A job whose command was dead-lettered has failed: ``job.failed`` with the reason."""
    if not event.correlation_id:
        return None
    state = JobState(
        job_kind(event.event_type),
        JobStatus.FAILED,
        stage=event.event_type,
        error_code="dead_lettered",
        error_message=reason,
    )
    data = _job_data(event.correlation_id, state)
    return _message(f"msg_{event.event_id}_failed", "job.failed", datetime.now(UTC), data, job_kind=state.kind)


def test_message(endpoint_id: str) -> Message:
    data = {"endpoint_id": endpoint_id, "message": "a test message from Reelforge"}
    return _message(f"msg_test_{uuid.uuid4().hex}", TEST_EVENT_TYPE, datetime.now(UTC), data)
