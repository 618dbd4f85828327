"""Request and response bodies of clip jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, Field, model_validator

from reelforge_gateway.api.schemas import JobError


class Captions(BaseModel):
    style: Literal["highlight", "pop", "classic"] = Field(
        default="highlight",
        description="`highlight`: each word lights up as it is said; `pop`: one word at a time, popping in; "
        "`classic`: whole lines on a translucent box",
    )
    position: Literal["top", "middle", "bottom"] = "bottom"


class Export(BaseModel):
    codec: Literal["h264", "h265", "vp9", "av1"] = "h264"
    resolution: Literal[480, 720, 1080, 1440, 2160] = Field(default=1080, description="The output's short side")
    fps: float = Field(default=30, ge=1, le=60)
    crf: int | None = Field(default=None, ge=0, le=63, description="Constant quality; omit for the codec's default")
    video_bitrate_kbps: int | None = Field(default=None, ge=100, le=100_000, description="Instead of `crf`")
    audio_bitrate_kbps: int = Field(default=128, ge=32, le=512)


class ClipJobCreate(BaseModel):
    asset_id: str | None = Field(default=None, min_length=1, max_length=100)
    source_url: AnyHttpUrl | None = Field(
        default=None, description="Instead of `asset_id`: import this http(s) URL first (SSRF-safe)"
    )
    count: int = Field(default=3, ge=1, le=20, description="Clips to make, best first")
    min_duration: float = Field(default=10, ge=1, le=600, description="Seconds")
    max_duration: float = Field(default=60, ge=1, le=600, description="Seconds")
    aspect: Literal["9:16", "1:1", "4:5", "16:9"] = "9:16"
    captions: Captions | Literal["none"] | None = Field(
        default_factory=Captions, description='Burned-in captions; `null` or `"none"` for none'
    )
    prompt: str | None = Field(
        default=None, max_length=500, description='What to look for, e.g. "moments where she talks about pricing"'
    )
    language: str | None = Field(default=None, min_length=2, max_length=8, description="ISO 639-1; omit to detect")
    export: Export = Field(default_factory=Export)

    @model_validator(mode="after")
    def _one_source_and_ordered_bounds(self) -> ClipJobCreate:
        if (self.asset_id is None) == (self.source_url is None):
            raise ValueError("give exactly one of asset_id and source_url")
        if self.min_duration > self.max_duration:
            raise ValueError("min_duration must not exceed max_duration")
        return self


class ClipReason(BaseModel):
    feature: str = Field(
        description="hook, self_contained, coherence, speech_energy, pace, motion, prompt; llm_rank (weight 0) "
        "when a language model ordered the clips"
    )
    value: float = Field(ge=0, le=1)
    weight: float
    detail: str


class Link(BaseModel):
    url: str
    expires_at: datetime


class Clip(BaseModel):
    index: int = Field(description="Rank: 0 is the best")
    start_s: float
    end_s: float
    duration_s: float
    score: float = Field(ge=0, le=1)
    reasons: list[ClipReason]
    title: str
    excerpt: str = Field(description="What is said in the clip")
    hashtags: list[str] = Field(description="Suggested by the language model when one ranks highlights; else empty")
    width: int
    height: int
    framing: str = Field(description="subject (follows the speaker), centre or blurred_pad")
    video: Link | None = Field(description="The MP4; null until the job has completed")
    thumbnail: Link | None
    subtitles: Link | None = Field(description="SRT of the clip")


class ClipJob(BaseModel):
    id: str
    job_id: str
    asset_id: str
    status: str = Field(description="waiting (for the asset), analysing, rendering, completed, failed")
    count: int
    aspect: str
    captions: Captions | None
    prompt: str | None
    clips: list[Clip] = Field(description="The plan once made; links once the job has completed")
    error: JobError | None = None
    created_at: datetime
    completed_at: datetime | None = None
