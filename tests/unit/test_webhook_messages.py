"""Jobs' public changes as the webhook messages partners receive."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from reelforge.events.v1.jobs_pb2 import JobChanged
from reelforge_common.bus import Event
from reelforge_notify.messages import job_message, webhook_test_message

AT = datetime(2026, 12, 3, 12, 0, 1, tzinfo=UTC)


def _event(change: JobChanged) -> Event[JobChanged]:
    return Event(
        event_id="e1",
        event_type="job.changed",
        tenant_id="acme",
        occurred_at=AT,
        correlation_id=change.job_id,
        causation_id="",
        producer="gateway",
        payload=change,
        subject="rf.job.changed.acme",
        attempt=1,
        headers={},
    )


def test_a_running_job_is_job_progress_with_its_stage() -> None:
    change = JobChanged(job_id="j1", kind="pose", status="running", stage="detecting", progress=0.25, version=7)
    message = job_message(_event(change))
    assert (message.id, message.event_type, message.job_kind, message.job_id) == (
        "msg_e1",
        "job.progress",
        "pose",
        "j1",
    )
    assert json.loads(message.payload) == {
        "type": "job.progress",
        "timestamp": "2026-12-03T12:00:01Z",
        "data": {
            "job_id": "j1",
            "kind": "pose",
            "status": "running",
            "stage": "detecting",
            "progress": 0.25,
            "resource_id": None,
            "error": None,
            "version": 7,
        },
    }
    assert not message.terminal


def test_a_failure_carries_its_code_and_message() -> None:
    change = JobChanged(
        job_id="j1", kind="transcription", status="failed", error_code="no_speech", error_message="nothing was said"
    )
    message = job_message(_event(change))
    assert message.event_type == "job.failed"
    assert message.terminal
    data = json.loads(message.payload)["data"]
    assert data["error"] == {"code": "no_speech", "message": "nothing was said"}


def test_queued_and_succeeded_jobs() -> None:
    queued = job_message(_event(JobChanged(job_id="j1", kind="clipjob", status="queued", resource_id="cj_1")))
    done = job_message(_event(JobChanged(job_id="j1", kind="clipjob", status="succeeded", progress=1.0)))
    assert (queued.event_type, done.event_type) == ("job.queued", "job.succeeded")
    assert json.loads(queued.payload)["data"]["resource_id"] == "cj_1"
    assert done.terminal


def test_a_test_message_has_a_fresh_id_each_time() -> None:
    first, second = webhook_test_message("ep_1"), webhook_test_message("ep_1")
    assert first.event_type == "webhook.test"
    assert first.id != second.id
    assert json.loads(first.payload)["data"]["endpoint_id"] == "ep_1"
