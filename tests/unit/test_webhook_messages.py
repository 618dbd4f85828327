"""Job events as the webhook messages partners receive."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from google.protobuf import any_pb2
from google.protobuf.message import Message as ProtoMessage
from reelforge_notify.messages import dead_letter_message, job_message

from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge_common.bus import Event

AT = datetime(2026, 12, 3, 12, 0, 1, tzinfo=UTC)


def _event(event_type: str, payload: ProtoMessage, job_id: str = "job-1") -> Event[any_pb2.Any]:
    packed = any_pb2.Any()
    packed.Pack(payload)
    return Event(
        event_id="e1",
        event_type=event_type,
        tenant_id="acme",
        occurred_at=AT,
        correlation_id=job_id,
        causation_id="",
        producer="test",
        payload=packed,
        subject=f"rf.{event_type}.acme",
        attempt=1,
        headers={},
    )


def test_progress_becomes_job_progress_with_the_stage() -> None:
    message = job_message(_event("pose.progress", JobProgress(stage="detecting", fraction=0.25, resource_id="a1")))
    assert message is not None
    assert (message.id, message.event_type, message.job_kind) == ("msg_e1", "job.progress", "pose")
    assert json.loads(message.payload) == {
        "type": "job.progress",
        "timestamp": "2026-12-03T12:00:01Z",
        "data": {
            "job_id": "job-1",
            "kind": "pose",
            "status": "running",
            "stage": "detecting",
            "progress": 0.25,
            "resource_id": "a1",
            "error": None,
        },
    }
    assert not message.terminal


def test_a_failure_carries_its_code_and_message() -> None:
    failed = JobFailed(code="no_speech", message="nothing was said", stage="transcribing")
    message = job_message(_event("transcription.failed", failed))
    assert message is not None
    assert message.terminal
    data = json.loads(message.payload)["data"]
    assert (data["status"], data["error"]) == ("failed", {"code": "no_speech", "message": "nothing was said"})


def test_a_request_is_queued_and_an_event_outside_a_job_is_no_message() -> None:
    queued = job_message(_event("transcription.requested", TranscriptionRequested()))
    assert queued is not None
    assert queued.event_type == "job.queued"
    assert job_message(_event("transcription.requested", TranscriptionRequested(), job_id="")) is None


def test_a_dead_lettered_command_fails_its_job_under_its_own_message_id() -> None:
    message = dead_letter_message(_event("render.requested", TranscriptionRequested()), "max deliveries")
    assert message is not None
    assert (message.id, message.event_type) == ("msg_e1_failed", "job.failed")
    assert json.loads(message.payload)["data"]["error"] == {"code": "dead_lettered", "message": "max deliveries"}
