"""How a job event changes the job's row in the read model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import TypeVar

from google.protobuf import any_pb2
from google.protobuf.message import Message

from reelforge.events.v1.asset_pb2 import AssetIngested
from reelforge.events.v1.generation_pb2 import GenerationCompleted
from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge.events.v1.render_pb2 import (
    ComparisonVideoCompleted,
    ExportCompleted,
    MixCompleted,
    SessionExportCompleted,
)
from reelforge_common.bus import PermanentError

# Job kind by event domain where the two differ.
_KIND_BY_DOMAIN = {"asset": "ingest"}
_COMPLETED_EVENTS = {"completed", "ingested"}
_M = TypeVar("_M", bound=Message)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


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


def job_kind(event_type: str) -> str:
    domain = event_type.split(".", 1)[0]
    return _KIND_BY_DOMAIN.get(domain, domain)


def update_for(*, event_type: str, tenant_id: str, job_id: str, at: datetime, payload: any_pb2.Any) -> JobUpdate | None:
    """The update an event makes to its job, or None if it says nothing about
    the job's state (an event outside any job, or of an unknown kind)."""
    if not job_id:
        return None
    name = event_type.split(".", 1)[1]
    update = partial(JobUpdate, tenant_id=tenant_id, job_id=job_id, kind=job_kind(event_type), at=at)
    if name == "requested":
        return update(status=JobStatus.QUEUED, progress=0.0)
    if name == "progress":
        progress = _unpack(payload, JobProgress())
        return update(
            status=JobStatus.RUNNING,
            stage=progress.stage,
            progress=min(max(progress.fraction, 0.0), 1.0),
            resource_id=progress.resource_id,
        )
    if name in _COMPLETED_EVENTS:
        return update(status=JobStatus.SUCCEEDED, stage="done", progress=1.0, outputs=outputs_of(payload))
    if name == "failed":
        failed = _unpack(payload, JobFailed())
        return update(
            status=JobStatus.FAILED,
            stage=failed.stage,
            resource_id=failed.resource_id,
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
    if payload.Is(GenerationCompleted.DESCRIPTOR):
        video_key = _unpack(payload, GenerationCompleted()).video_key
        return {"video": video_key} if video_key else {}
    if payload.Is(ExportCompleted.DESCRIPTOR):
        video_key = _unpack(payload, ExportCompleted()).video_key
        return {"video": video_key} if video_key else {}
    if payload.Is(MixCompleted.DESCRIPTOR):
        made = _unpack(payload, MixCompleted()).video_keys
        return {f"variant-{number:02d}": key for number, key in enumerate(made, start=1)}
    if payload.Is(SessionExportCompleted.DESCRIPTOR):
        video_key = _unpack(payload, SessionExportCompleted()).video_key
        return {"video": video_key} if video_key else {}
    if payload.Is(ComparisonVideoCompleted.DESCRIPTOR):
        video_key = _unpack(payload, ComparisonVideoCompleted()).video_key
        return {"video": video_key} if video_key else {}
    return {}


def _unpack(payload: any_pb2.Any, message: _M) -> _M:
    if not payload.Unpack(message):
        raise PermanentError(f"expected {message.DESCRIPTOR.full_name}, got {payload.TypeName()}")
    return message


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
