"""Request and response bodies of practice sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from reelforge.render.v1 import render_pb2
from reelforge_common.proto_time import datetime_of
from reelforge_gateway.api.pose_schemas import Feedback, RenderedVideo, TimeSpan

_ASSET_ID = Field(min_length=1, max_length=100)


class SessionCreate(BaseModel):
    name: str = Field(default="practice", min_length=1, max_length=200)
    reference_asset_id: str = _ASSET_ID


class RecordingCreate(BaseModel):
    asset_id: str = _ASSET_ID
    reference_span: TimeSpan | None = Field(
        default=None, description="The part of the reference imitated; omit for the next one, as long as the recording"
    )


class SessionExportCreate(BaseModel):
    kind: Literal["solo", "comparison"] = Field(
        default="comparison",
        description="solo: the recordings one after another; comparison: each beside the reference",
    )
    resolution: Literal["480p", "720p", "1080p"] = "720p"
    format: Literal["mp4", "webm"] = "mp4"
    layout: Literal["side_by_side", "interleaved"] = Field(
        default="side_by_side", description="Comparison videos: side by side, or a second of each in turn"
    )


class Recording(BaseModel):
    id: str
    position: int
    asset_id: str
    reference_start_s: float
    reference_end_s: float
    comparison_id: str
    job_id: str = Field(description="The comparison's job (kind `compare`)")
    status: str = Field(description="The comparison's: queued, running, completed or failed")
    score: float = Field(description="0 to 100 once completed")
    feedback: list[Feedback]
    error_code: str | None = None


class Session(BaseModel):
    id: str
    name: str
    reference_asset_id: str
    recordings: list[Recording] = Field(description="In order; left out (empty) in lists")
    score: float = Field(description="The completed recordings' scores, weighted by their length (0 before any)")
    completed: int = Field(description="Recordings whose comparison has completed")
    created_at: datetime

    @classmethod
    def from_message(cls, session: render_pb2.Session) -> Session:
        created = datetime_of(session.created_at)
        assert created is not None
        return cls(
            id=session.id,
            name=session.name,
            reference_asset_id=session.reference_asset_id,
            recordings=[
                Recording(
                    id=r.id,
                    position=r.position,
                    asset_id=r.asset_id,
                    reference_start_s=r.reference_start_s,
                    reference_end_s=r.reference_end_s,
                    comparison_id=r.comparison_id,
                    job_id=r.job_id,
                    status=r.status,
                    score=r.score,
                    feedback=[Feedback.from_message(item) for item in r.feedback],
                    error_code=r.error_code or None,
                )
                for r in session.recordings
            ],
            score=session.score,
            completed=session.completed,
            created_at=created,
        )


class SessionPage(BaseModel):
    items: list[Session]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class SessionExport(RenderedVideo):
    job_id: str = Field(description="Follow it in /v1/jobs (kind `sessionexport`)")
    session_id: str
    kind: str

    @classmethod
    def from_message(cls, made: render_pb2.SessionExport) -> SessionExport:
        return cls(session_id=made.session_id, kind=made.kind, **cls.fields_of(made))
