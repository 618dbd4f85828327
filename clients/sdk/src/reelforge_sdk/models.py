"""The API's objects as frozen dataclasses.

Each keeps the JSON it was parsed from in ``raw`` (left out of equality and
repr), so callers and the CLI can show the object exactly as the API sent it.
Fields the API adds later are ignored rather than refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")
JSON = dict[str, Any]

ASSET_TERMINAL = frozenset({"ready", "failed"})
JOB_TERMINAL = frozenset({"succeeded", "failed"})
# What PATCH /v1/admin/tenants/{id}/quotas accepts, in the order the API lists them.
QUOTA_NAMES = (
    "max_upload_bytes",
    "max_media_duration_s",
    "max_concurrent_jobs",
    "monthly_minutes",
    "rate_limit_per_s",
    "rate_limit_burst",
)


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


@dataclass(frozen=True)
class ErrorInfo:
    """Why an asset or a job failed."""

    code: str
    message: str

    @classmethod
    def from_json(cls, data: Any) -> ErrorInfo | None:
        if not data:
            return None
        return cls(code=str(data.get("code", "")), message=str(data.get("message", "")))


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    created_at: datetime
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Tenant:
        return cls(id=data["id"], name=data["name"], created_at=_time(data["created_at"]), raw=data)


@dataclass(frozen=True)
class ApiKey:
    """An API key; ``token`` is set only in the answer that created it."""

    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    token: str | None = None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> ApiKey:
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            scopes=tuple(data.get("scopes", ())),
            created_at=_time(data["created_at"]),
            revoked_at=_optional_time(data.get("revoked_at")),
            token=data.get("token"),
            raw=data,
        )


@dataclass(frozen=True)
class TenantWithKey:
    """A new tenant and its first key (all scopes); the token is shown once."""

    tenant: Tenant
    api_key: ApiKey
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> TenantWithKey:
        return cls(tenant=Tenant.from_json(data["tenant"]), api_key=ApiKey.from_json(data["api_key"]), raw=data)


@dataclass(frozen=True)
class MediaInfo:
    """What probing the media found."""

    duration_s: float | None
    width: int | None
    height: int | None
    fps: float | None
    video_codec: str | None
    audio_codec: str | None
    audio_channels: int | None
    audio_sample_rate: int | None
    rotation_deg: int
    container: str | None
    has_video: bool
    has_audio: bool
    # A still image (a first frame or a character's reference).
    is_image: bool = False

    @classmethod
    def from_json(cls, data: Any) -> MediaInfo | None:
        if not data:
            return None
        return cls(
            duration_s=data.get("duration_s"),
            width=data.get("width"),
            height=data.get("height"),
            fps=data.get("fps"),
            video_codec=data.get("video_codec"),
            audio_codec=data.get("audio_codec"),
            audio_channels=data.get("audio_channels"),
            audio_sample_rate=data.get("audio_sample_rate"),
            rotation_deg=int(data.get("rotation_deg") or 0),
            container=data.get("container"),
            has_video=bool(data.get("has_video")),
            has_audio=bool(data.get("has_audio")),
            is_image=bool(data.get("is_image")),
        )


@dataclass(frozen=True)
class Asset:
    """A media file the tenant uploaded or imported, and what was derived from it."""

    id: str
    job_id: str | None
    status: str
    filename: str
    content_type: str | None
    size_bytes: int | None
    source: str
    source_url: str | None
    media: MediaInfo | None
    derivatives: Mapping[str, str]
    error: ErrorInfo | None
    created_at: datetime
    updated_at: datetime
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        """Ready or failed: it will not change any more by itself."""
        return self.status in ASSET_TERMINAL

    @classmethod
    def from_json(cls, data: JSON) -> Asset:
        return cls(
            id=data["id"],
            job_id=data.get("job_id"),
            status=data["status"],
            filename=data.get("filename", ""),
            content_type=data.get("content_type"),
            size_bytes=data.get("size_bytes"),
            source=data.get("source", ""),
            source_url=data.get("source_url"),
            media=MediaInfo.from_json(data.get("media")),
            derivatives=dict(data.get("derivatives") or {}),
            error=ErrorInfo.from_json(data.get("error")),
            created_at=_time(data["created_at"]),
            updated_at=_time(data["updated_at"]),
            raw=data,
        )


@dataclass(frozen=True)
class JobOutput:
    """A presigned URL to one thing a job produced, valid until ``expires_at``."""

    url: str
    expires_at: datetime

    @classmethod
    def from_json(cls, data: JSON) -> JobOutput:
        return cls(url=data["url"], expires_at=_time(data["expires_at"]))


@dataclass(frozen=True)
class Job:
    """Something the tenant started, with its stage and progress (0..1).

    ``outputs`` maps each output's name to its presigned URL; empty until the
    job succeeded.
    """

    id: str
    kind: str
    status: str
    stage: str
    progress: float
    resource_id: str
    created_at: datetime
    updated_at: datetime
    error: ErrorInfo | None
    outputs: dict[str, JobOutput] = field(default_factory=dict)
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        """Succeeded or failed."""
        return self.status in JOB_TERMINAL

    @classmethod
    def from_json(cls, data: JSON) -> Job:
        return cls(
            id=data["id"],
            kind=data.get("kind", ""),
            status=data["status"],
            stage=data.get("stage", ""),
            progress=float(data.get("progress") or 0.0),
            resource_id=data.get("resource_id", ""),
            created_at=_time(data["created_at"]),
            updated_at=_time(data["updated_at"]),
            error=ErrorInfo.from_json(data.get("error")),
            outputs={name: JobOutput.from_json(o) for name, o in (data.get("outputs") or {}).items()},
            raw=data,
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: tuple[T, ...]
    next_cursor: str | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parser(cls, item: Callable[[JSON], T]) -> Callable[[JSON], Page[T]]:
        def parse(data: JSON) -> Page[T]:
            return cls(items=tuple(item(x) for x in data["items"]), next_cursor=data.get("next_cursor"), raw=data)

        return parse


@dataclass(frozen=True)
class UploadPart:
    """A part still to send and the presigned URL to PUT it to."""

    number: int
    url: str


@dataclass(frozen=True)
class UploadedPart:
    number: int
    size: int


@dataclass(frozen=True)
class Upload:
    """A presigned multipart upload: its parts, the ones stored, the ones missing."""

    asset_id: str
    job_id: str | None
    size_bytes: int | None
    part_size: int
    part_count: int
    parts: tuple[UploadPart, ...]
    uploaded: tuple[UploadedPart, ...]
    expires_at: datetime | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Upload:
        return cls(
            asset_id=data["asset_id"],
            job_id=data.get("job_id"),
            size_bytes=data.get("size_bytes"),
            part_size=int(data["part_size"]),
            part_count=int(data["part_count"]),
            parts=tuple(UploadPart(number=int(p["number"]), url=p["url"]) for p in data.get("parts", ())),
            uploaded=tuple(
                UploadedPart(number=int(p["number"]), size=int(p["size"])) for p in data.get("uploaded", ())
            ),
            expires_at=_optional_time(data.get("expires_at")),
            raw=data,
        )


@dataclass(frozen=True)
class Frame:
    """A still frame of a video asset, stored as a new image asset."""

    timestamp_s: float
    asset: Asset
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Frame:
        return cls(timestamp_s=float(data["timestamp_s"]), asset=Asset.from_json(data["asset"]), raw=data)

    @classmethod
    def list_from_json(cls, data: JSON) -> list[Frame]:
        return [cls.from_json(frame) for frame in data["frames"]]


@dataclass(frozen=True)
class DownloadLink:
    """A presigned URL to the original media, valid until ``expires_at``."""

    url: str
    expires_at: datetime | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> DownloadLink:
        return cls(url=data["url"], expires_at=_optional_time(data.get("expires_at")), raw=data)


@dataclass(frozen=True)
class Quotas:
    """A tenant's limits; ``defaults`` names those that are the gateway's default, not its own."""

    max_upload_bytes: int
    max_media_duration_s: float
    max_concurrent_jobs: int
    monthly_minutes: int
    rate_limit_per_s: float
    rate_limit_burst: int
    defaults: tuple[str, ...]
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    def limits(self) -> dict[str, int | float]:
        """Every quota by name, in :data:`QUOTA_NAMES` order."""
        return {
            "max_upload_bytes": self.max_upload_bytes,
            "max_media_duration_s": self.max_media_duration_s,
            "max_concurrent_jobs": self.max_concurrent_jobs,
            "monthly_minutes": self.monthly_minutes,
            "rate_limit_per_s": self.rate_limit_per_s,
            "rate_limit_burst": self.rate_limit_burst,
        }

    @classmethod
    def from_json(cls, data: JSON) -> Quotas:
        return cls(
            max_upload_bytes=int(data["max_upload_bytes"]),
            max_media_duration_s=float(data["max_media_duration_s"]),
            max_concurrent_jobs=int(data["max_concurrent_jobs"]),
            monthly_minutes=int(data["monthly_minutes"]),
            rate_limit_per_s=float(data["rate_limit_per_s"]),
            rate_limit_burst=int(data["rate_limit_burst"]),
            defaults=tuple(data.get("defaults", ())),
            raw=data,
        )


@dataclass(frozen=True)
class Usage:
    """What the tenant used this UTC month (``month`` is its first day), and jobs queued or running now."""

    month: date
    minutes_used: float
    active_jobs: int
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Usage:
        return cls(
            month=date.fromisoformat(str(data["month"])),
            minutes_used=float(data["minutes_used"]),
            active_jobs=int(data["active_jobs"]),
            raw=data,
        )


@dataclass(frozen=True)
class QuotaReport:
    """A tenant's quotas and its usage against them."""

    tenant_id: str
    quotas: Quotas
    usage: Usage
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> QuotaReport:
        return cls(
            tenant_id=data["tenant_id"],
            quotas=Quotas.from_json(data["quotas"]),
            usage=Usage.from_json(data["usage"]),
            raw=data,
        )
