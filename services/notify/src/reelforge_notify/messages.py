"""The webhook messages partners receive, made from the jobs' public changes.

Every message has the Standard Webhooks shape ``{"type", "timestamp",
"data"}``. Each ``job.changed`` (the gateway's read model moved, as ``GET
/v1/jobs/{id}`` and its live stream show it) becomes ``job.queued``,
``job.progress``, ``job.succeeded`` or ``job.failed``, whose ``data`` is the
job's state; ``GET /v1/jobs/{job_id}`` adds the download links. The message
id (the ``webhook-id`` header) derives from the event id, so a redelivered
event makes the same message.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reelforge.events.v1.jobs_pb2 import JobChanged
from reelforge_common.bus import Event

JOB_EVENT_TYPES = ("job.queued", "job.progress", "job.succeeded", "job.failed")
TEST_EVENT_TYPE = "webhook.test"
EVENT_TYPES = (*JOB_EVENT_TYPES, TEST_EVENT_TYPE)
# Emails are sent for the end of a job only.
EMAIL_EVENT_TYPES = ("job.succeeded", "job.failed")
_TYPE_BY_STATUS = {
    "queued": "job.queued",
    "running": "job.progress",
    "succeeded": "job.succeeded",
    "failed": "job.failed",
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


def job_message(event: Event[JobChanged]) -> Message:
    """The message a job's change makes."""
    job = event.payload
    data = {
        "job_id": job.job_id,
        "kind": job.kind,
        "status": job.status,
        "stage": job.stage,
        "progress": job.progress,
        "resource_id": job.resource_id or None,
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
        "version": job.version,
    }
    event_type = _TYPE_BY_STATUS.get(job.status, "job.progress")
    return _message(f"msg_{event.event_id}", event_type, event.occurred_at, data, job_kind=job.kind)


def webhook_test_message(endpoint_id: str) -> Message:
    data = {"endpoint_id": endpoint_id, "message": "a test message from Reelforge"}
    return _message(f"msg_test_{uuid.uuid4().hex}", TEST_EVENT_TYPE, datetime.now(UTC), data)
