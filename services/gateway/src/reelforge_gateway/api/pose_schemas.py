"""Request and response bodies of pose analyses and comparisons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from reelforge.pose.v1 import pose_pb2
from reelforge.render.v1 import render_pb2
from reelforge_common.proto_time import datetime_of
from reelforge_gateway.api.schemas import JobError

ASSET_ID = Field(min_length=1, max_length=100)


class PoseAnalysisCreate(BaseModel):
    asset_id: str = ASSET_ID
    sample_fps: float | None = Field(
        default=None,
        gt=0,
        le=60,
        description="Frames per second analysed; omit for the deployment's default (10). "
        "At most the asset proxy's own rate (15 unless the deployment says otherwise)",
    )
    max_people: int | None = Field(
        default=None, ge=1, le=10, description="People tracked per frame; omit for the deployment's default (2)"
    )


class PoseAnalysis(BaseModel):
    id: str
    asset_id: str
    job_id: str | None = Field(description="The analysis's own job; null for one made for a comparison")
    status: str = Field(description="queued, running, completed or failed")
    sample_fps: float = Field(description="The rate frames were (or will be) sampled at")
    max_people: int
    model: str = Field(description="The PoseLandmarker model, e.g. `full`")
    frames_analysed: int
    frames_with_person: int = Field(description="Frames where the main subject is seen")
    mean_visibility: float = Field(description="Mean landmark visibility of the main subject, 0 to 1")
    people_seen: int = Field(description="People tracked for at least a moment")
    no_person: bool = Field(description="Nobody was found in any frame (a completed analysis, not a failure)")
    duration_s: float
    width: int = Field(description="Width of the analysed frames (the asset's upright proxy)")
    height: int
    error: JobError | None = None
    created_at: datetime
    completed_at: datetime | None = None


class SubjectBox(BaseModel):
    """The main subject's box in one frame, in fractions of the frame, origin top left."""

    x: float
    y: float
    width: float
    height: float
    observed: bool = Field(description="Seen in this frame; false where bridged over a short gap")


class PoseSignals(BaseModel):
    analysis_id: str
    asset_id: str
    sample_fps: float
    width: int
    height: int
    times_s: list[float] = Field(description="Time of each sampled frame")
    subject_boxes: list[SubjectBox | None] = Field(
        description="The main subject's smoothed box per frame; null where out of frame for longer than a second"
    )
    motion_energy: list[float] = Field(
        description="The main subject's mean body speed, in body heights per second, for each whole second"
    )
    joint_angles: dict[str, list[float | None]] = Field(
        description="Degrees per frame for left/right elbow, shoulder, hip, knee and the trunk's lean; "
        "null where the joint is not visible"
    )


class TimeSpan(BaseModel):
    start_s: float = Field(default=0.0, ge=0)
    end_s: float | None = Field(default=None, gt=0, description="Omit for the end of the media")

    @model_validator(mode="after")
    def _ordered(self) -> TimeSpan:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        return self


class ComparisonCreate(BaseModel):
    reference_asset_id: str = ASSET_ID
    attempt_asset_id: str = ASSET_ID
    reference_span: TimeSpan | None = Field(default=None, description="Part of the reference compared; omit for all")
    attempt_span: TimeSpan | None = Field(default=None, description="Part of the attempt compared; omit for all")


class Feedback(BaseModel):
    joint: str = Field(description="The attempt's joint, e.g. `left_knee`, or `trunk`")
    direction: str = Field(description="`more` or `less` than the reference")
    degrees: float
    attempt_start_s: float
    attempt_end_s: float
    reference_start_s: float
    reference_end_s: float
    text: str = Field(description='E.g. "left knee bends 25° less than the reference at 0:03\N{EN DASH}0:05"')

    @classmethod
    def from_message(cls, item: pose_pb2.Feedback) -> Feedback:
        return cls(
            joint=item.joint,
            direction=item.direction,
            degrees=item.degrees,
            attempt_start_s=item.attempt_start_s,
            attempt_end_s=item.attempt_end_s,
            reference_start_s=item.reference_start_s,
            reference_end_s=item.reference_end_s,
            text=item.text,
        )


class ComparisonSegment(BaseModel):
    reference_start_s: float
    reference_end_s: float
    attempt_start_s: float
    attempt_end_s: float
    score: float = Field(ge=0, le=100)
    weak: bool = Field(description="Scored below the deployment's threshold (70)")
    differences: dict[str, float] = Field(description="Mean angle of the attempt minus the reference, by joint")
    feedback: list[Feedback]


class AlignedFrame(BaseModel):
    reference_s: float
    attempt_s: float


class Comparison(BaseModel):
    id: str
    job_id: str
    status: str = Field(description="queued, running, completed or failed")
    reference_asset_id: str
    attempt_asset_id: str
    reference_span: TimeSpan
    attempt_span: TimeSpan
    score: float | None = Field(description="Overall similarity, 0 to 100; null until completed")
    mirrored: bool = Field(description="The attempt matched best as a mirror image of the reference")
    sample_fps: float
    segments: list[ComparisonSegment] = Field(description="In reference time order; empty in lists")
    feedback: list[Feedback] = Field(description="Every segment's feedback, in time order")
    alignment: list[AlignedFrame] | None = Field(default=None, description="The alignment path, with `?alignment=true`")
    error: JobError | None = None
    created_at: datetime
    completed_at: datetime | None = None


class ComparisonPage(BaseModel):
    items: list[Comparison]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class RenderedVideo(BaseModel):
    """A video render makes of pose comparisons (one comparison's, or a
    practice session's export): how it was asked for and, once made, where."""

    id: str
    job_id: str
    status: str = Field(description="queued, running, completed or failed")
    resolution: str
    format: str
    layout: str
    duration: float
    video_url: str | None = Field(description="Presigned URL once completed")
    urls_expire_at: datetime | None = None
    error: JobError | None = None
    created_at: datetime
    completed_at: datetime | None = None

    @staticmethod
    def fields_of(video: render_pb2.ComparisonVideo | render_pb2.SessionExport) -> dict[str, Any]:
        """The fields every rendered video's message has, as this model's."""
        return {
            "id": video.id,
            "job_id": video.job_id,
            "status": video.status,
            "resolution": video.resolution,
            "format": video.format,
            "layout": video.layout,
            "duration": video.duration_s,
            "video_url": video.video_url or None,
            "urls_expire_at": datetime_of(video.urls_expire_at),
            "error": JobError(code=video.error_code, message=video.error_message) if video.error_code else None,
            "created_at": datetime_of(video.created_at),
            "completed_at": datetime_of(video.completed_at),
        }
