from datetime import UTC, datetime

import pytest
from google.protobuf import any_pb2
from google.protobuf.message import Message

from reelforge.events.v1.asset_pb2 import AssetIngested
from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge_common.bus import PermanentError
from reelforge_gateway.projection import JobStatus, dead_letter_update, update_for

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _packed(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def _update(event_type: str, message: Message, job_id: str = "job-1"):  # type: ignore[no-untyped-def]
    return update_for(event_type=event_type, tenant_id="acme", job_id=job_id, at=AT, payload=_packed(message))


def test_progress_sets_running_stage_and_clamped_fraction() -> None:
    update = _update("pose.progress", JobProgress(stage="detecting", fraction=1.7, resource_id="a1"))
    assert update is not None
    assert (update.status, update.stage, update.progress, update.kind) == (JobStatus.RUNNING, "detecting", 1.0, "pose")
    assert update.resource_id == "a1"


def test_failure_carries_code_and_message() -> None:
    update = _update("render.failed", JobFailed(code="ffmpeg_failed", message="exit 1", stage="encoding"))
    assert update is not None
    assert (update.status, update.error_code, update.error_message) == (JobStatus.FAILED, "ffmpeg_failed", "exit 1")


def test_asset_ingested_completes_an_ingest_job() -> None:
    update = _update("asset.ingested", AssetIngested(asset_id="a1"))
    assert update is not None
    assert (update.kind, update.status, update.progress) == ("ingest", JobStatus.SUCCEEDED, 1.0)


def test_events_outside_a_job_or_of_unknown_meaning_change_nothing() -> None:
    assert _update("pose.progress", JobProgress(), job_id="") is None
    assert _update("asset.deleted", AssetIngested()) is None


def test_a_progress_event_with_a_foreign_payload_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="JobProgress"):
        _update("pose.progress", AssetIngested(asset_id="a1"))


def test_dead_letter_fails_the_job_with_its_reason() -> None:
    update = dead_letter_update(event_type="pose.requested", tenant_id="acme", job_id="j", at=AT, reason="gone")
    assert update is not None
    assert (update.status, update.error_code, update.error_message) == (JobStatus.FAILED, "dead_lettered", "gone")
