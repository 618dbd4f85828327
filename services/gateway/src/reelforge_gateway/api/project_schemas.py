"""Request and response bodies of projects (sequences of clips) and their exports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field, model_validator

from reelforge.render.v1 import render_pb2
from reelforge_common.proto_time import datetime_of
from reelforge_gateway.api.schemas import NOT_BLANK, JobError

_NAME = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
_UINT32 = 2**32 - 1  # positions travel to render as uint32


def _when(stamp: Timestamp) -> datetime:
    at = datetime_of(stamp)
    assert at is not None
    return at


class ProjectCreate(BaseModel):
    name: str = _NAME


class ProjectUpdate(BaseModel):
    name: str = _NAME


class RenderedClip(BaseModel):
    clip_job_id: str = Field(min_length=1, max_length=100)
    index: int = Field(ge=0, le=19, description="The clip's `index` in the clip job (a job makes up to 20)")


class ItemCreate(BaseModel):
    asset_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="A ready video asset of the tenant (an upload, a generated video)",
    )
    clip: RenderedClip | None = Field(
        default=None, description="Instead of an asset: a clip a completed clip job rendered"
    )
    trim_in: float = Field(default=0.0, ge=0, description="Seconds into the asset (or clip) where this clip starts")
    trim_out: float | None = Field(default=None, gt=0, description="Where it ends; omit for the end")
    position: int | None = Field(
        default=None, ge=0, le=_UINT32, description="Where to insert (0: first); omit to append"
    )

    @model_validator(mode="after")
    def one_source(self) -> Self:
        if (self.asset_id is None) == (self.clip is None):
            raise ValueError("give asset_id or clip")
        return self


class ItemUpdate(BaseModel):
    trim_in: float | None = Field(default=None, ge=0)
    trim_out: float | None = Field(default=None, ge=0, description="0: the asset's end")
    position: int | None = Field(default=None, ge=0, le=_UINT32, description="Move the clip here (0: first)")


class ProjectItem(BaseModel):
    id: str
    position: int
    asset_id: str
    trim_in: float
    trim_out: float
    duration: float = Field(description="Seconds the clip lasts in the sequence, before transitions")
    clip: RenderedClip | None = Field(description="The rendered clip it is cut from; null: the asset itself")

    @classmethod
    def from_message(cls, item: render_pb2.ProjectItem) -> ProjectItem:
        return cls(
            id=item.id,
            position=item.position,
            asset_id=item.asset_id,
            trim_in=item.trim_in_s,
            trim_out=item.trim_out_s,
            duration=item.duration_s,
            clip=RenderedClip(clip_job_id=item.clip_job_id, index=item.clip_index) if item.clip_job_id else None,
        )


class Project(BaseModel):
    id: str
    name: str
    items: list[ProjectItem] = Field(description="In order; left out (empty) in lists")
    duration: float = Field(description="The items' durations added, before transitions")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_message(cls, project: render_pb2.Project) -> Project:
        return cls(
            id=project.id,
            name=project.name,
            items=[ProjectItem.from_message(item) for item in project.items],
            duration=project.duration_s,
            created_at=_when(project.created_at),
            updated_at=_when(project.updated_at),
        )


class ProjectPage(BaseModel):
    items: list[Project]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class Audio(BaseModel):
    enabled: bool = True
    codec: Literal["aac", "opus"] = "aac"
    bitrate: int = Field(default=128, ge=32, le=512, description="kb/s")


class TransitionSpec(BaseModel):
    type: Literal["cut", "crossfade", "fade_to_black"] = "cut"
    duration: float = Field(default=0.5, ge=0, le=5, description="Seconds the two clips overlap (not for cuts)")


class ExportCreate(BaseModel):
    resolution: Literal["720p", "1080p", "4K"] = "1080p"
    aspect: Literal["16:9", "9:16", "1:1", "4:5"] = "16:9"
    fps: float = Field(default=30, ge=1, le=120)
    codec: Literal["h264", "h265", "av1"] = "h264"
    quality: Literal["low", "medium", "high", "lossless"] = Field(
        default="medium", description="Constant quality; lossless with h264 or h265 only"
    )
    audio: Audio = Field(default_factory=Audio)
    transitions: list[TransitionSpec] = Field(
        default_factory=list,
        max_length=99,
        description="None: cuts; one: used between every two clips; or one per join, in order",
    )

    def to_message(self) -> render_pb2.ExportSettings:
        return render_pb2.ExportSettings(
            resolution=self.resolution,
            aspect=self.aspect,
            fps=self.fps,
            codec=self.codec,
            quality=self.quality,
            audio=self.audio.enabled,
            audio_codec=self.audio.codec,
            audio_bitrate_kbps=self.audio.bitrate,
            transitions=[
                render_pb2.Transition(type=t.type, duration_s=0 if t.type == "cut" else t.duration)
                for t in self.transitions
            ],
        )

    @classmethod
    def from_message(cls, settings: render_pb2.ExportSettings) -> ExportCreate:
        return cls.model_validate(
            {
                "resolution": settings.resolution,
                "aspect": settings.aspect,
                "fps": settings.fps,
                "codec": settings.codec,
                "quality": settings.quality,
                "audio": {
                    "enabled": settings.audio,
                    "codec": settings.audio_codec,
                    "bitrate": settings.audio_bitrate_kbps,
                },
                "transitions": [{"type": t.type, "duration": t.duration_s} for t in settings.transitions],
            }
        )


class Export(BaseModel):
    id: str
    job_id: str = Field(description="Follow it in /v1/jobs (kind `export`)")
    project_id: str
    status: str = Field(description="queued, running, completed, failed or cancelled")
    settings: ExportCreate = Field(description="As asked, with one transition per join")
    items: list[ProjectItem] = Field(description="The project's clips when the export was asked for")
    duration: float = Field(description="Seconds of the joined video: the clips less the transitions' overlaps")
    video_url: str | None = Field(description="Presigned URL of the MP4 once completed")
    urls_expire_at: datetime | None = None
    size_bytes: int
    error: JobError | None = None
    created_at: datetime
    completed_at: datetime | None = None

    @classmethod
    def from_message(cls, export: render_pb2.Export) -> Export:
        error = JobError(code=export.error_code, message=export.error_message) if export.error_code else None
        return cls(
            id=export.id,
            job_id=export.job_id,
            project_id=export.project_id,
            status=export.status,
            settings=ExportCreate.from_message(export.settings),
            items=[ProjectItem.from_message(item) for item in export.items],
            duration=export.duration_s,
            video_url=export.video_url or None,
            urls_expire_at=datetime_of(export.urls_expire_at),
            size_bytes=export.size_bytes,
            error=error,
            created_at=_when(export.created_at),
            completed_at=datetime_of(export.completed_at),
        )


class ExportPage(BaseModel):
    items: list[Export]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
