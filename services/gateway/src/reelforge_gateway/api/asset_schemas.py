"""Bodies of the asset, upload and import endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, Self

from pydantic import AnyHttpUrl, BaseModel, Field, model_validator

from reelforge.ingest.v1 import ingest_pb2
from reelforge_gateway.api.schemas import JobError


class MediaInfo(BaseModel):
    duration_s: float
    width: int
    height: int
    fps: float
    video_codec: str
    audio_codec: str
    audio_channels: int
    audio_sample_rate: int
    rotation_deg: int = Field(description="Clockwise rotation the player applies")
    container: str
    has_video: bool
    has_audio: bool
    is_image: bool = Field(description="A still image (PNG, JPEG, WebP): a first frame or a character's reference")


class Asset(BaseModel):
    id: str
    job_id: str = Field(description="The ingest job: follow it in /v1/jobs")
    status: str = Field(description="uploading, importing, processing, ready or failed")
    filename: str
    content_type: str
    size_bytes: int
    source: str = Field(description="upload, multipart or import")
    source_url: str | None = None
    media: MediaInfo | None = Field(description="Probe results; null until the file is validated")
    derivatives: dict[str, str] = Field(
        description="Presigned download URLs (15 minutes) of thumbnail, filmstrip, audio (16 kHz mono WAV) "
        "and proxy (low-resolution, constant frame rate), as the media has them; empty until ready"
    )
    error: JobError | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_message(cls, asset: ingest_pb2.Asset) -> Asset:
        media = None
        if asset.HasField("media"):
            m = asset.media
            media = MediaInfo(
                duration_s=m.duration_s,
                width=m.width,
                height=m.height,
                fps=m.fps,
                video_codec=m.video_codec,
                audio_codec=m.audio_codec,
                audio_channels=m.audio_channels,
                audio_sample_rate=m.audio_sample_rate,
                rotation_deg=m.rotation_deg,
                container=m.container,
                has_video=m.has_video,
                has_audio=m.has_audio,
                is_image=m.is_image,
            )
        error = JobError(code=asset.error_code, message=asset.error_message) if asset.error_code else None
        return cls(
            id=asset.id,
            job_id=asset.job_id,
            status=asset.status,
            filename=asset.filename,
            content_type=asset.content_type,
            size_bytes=asset.size_bytes,
            source=asset.source,
            source_url=asset.source_url or None,
            media=media,
            derivatives=dict(asset.derivative_urls),
            error=error,
            created_at=asset.created_at.ToDatetime(tzinfo=UTC),
            updated_at=asset.updated_at.ToDatetime(tzinfo=UTC),
        )


class AssetPage(BaseModel):
    items: list[Asset]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class FramesCreate(BaseModel):
    timestamps: list[float] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Seconds into the video; each gives the first frame shown at or after it",
    )
    position: Literal["first", "last"] | None = Field(default=None, description="Instead of timestamps")
    format: Literal["png", "jpg"] = "png"
    quality: int = Field(default=90, ge=1, le=100, description="JPEG quality, 1 (smallest) to 100 (best)")

    @model_validator(mode="after")
    def one_choice(self) -> Self:
        if (self.timestamps is None) == (self.position is None):
            raise ValueError("give either timestamps or position")
        if self.timestamps and min(self.timestamps) < 0:
            raise ValueError("timestamps are seconds from the start, at least 0")
        return self


class Frame(BaseModel):
    timestamp_s: float = Field(description="The frame's presentation time in the source video")
    asset: Asset = Field(description="The new image asset (processing until its thumbnail is made)")


class FrameSet(BaseModel):
    frames: list[Frame] = Field(description="In the order asked for")


class DownloadUrl(BaseModel):
    url: str
    expires_at: datetime


class UploadCreate(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    size_bytes: int = Field(gt=0, le=5 * 1024**4, description="Exact size of the file (S3 holds up to 5 TiB)")
    content_type: str = Field(
        default="application/octet-stream",
        max_length=100,
        # A media type (RFC 6838 names, optional parameters in visible ASCII): it becomes an S3 header.
        pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(?: *;[ -~]*)?$",
    )


class PartUrl(BaseModel):
    number: int
    url: str = Field(description="Presigned S3 URL: PUT the part's bytes, without an Authorization header")


class UploadedPart(BaseModel):
    number: int
    size: int


class Upload(BaseModel):
    asset_id: str
    job_id: str
    size_bytes: int
    part_size: int = Field(description="Part n holds bytes [(n-1)*part_size, n*part_size) of the file")
    part_count: int
    parts: list[PartUrl] = Field(description="URLs of the parts not uploaded yet")
    uploaded: list[UploadedPart]
    expires_at: datetime

    @classmethod
    def from_message(cls, upload: ingest_pb2.MultipartUpload) -> Upload:
        return cls(
            asset_id=upload.asset_id,
            job_id=upload.job_id,
            size_bytes=upload.size_bytes,
            part_size=upload.part_size,
            part_count=upload.part_count,
            parts=[PartUrl(number=p.number, url=p.url) for p in upload.parts],
            uploaded=[UploadedPart(number=p.number, size=p.size) for p in upload.uploaded],
            expires_at=upload.expires_at.ToDatetime(tzinfo=UTC),
        )


class ImportCreate(BaseModel):
    url: AnyHttpUrl = Field(description="http(s) URL of the media; private and loopback addresses are refused")
    filename: str = Field(default="", max_length=255)
