"""Projects (ordered, trimmed clips) and their exports as the API serves them,
as frozen dataclasses (each keeps its JSON in ``raw``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reelforge_sdk.models import JSON, ErrorInfo


@dataclass(frozen=True)
class ProjectItem:
    """One clip of a project: ``trim_in``-``trim_out`` seconds of an asset."""

    id: str
    position: int
    asset_id: str
    trim_in: float
    trim_out: float
    duration: float
    # The rendered clip it is cut from (clip job id, index); None: the asset itself.
    clip: tuple[str, int] | None = None

    @classmethod
    def from_json(cls, data: JSON) -> ProjectItem:
        return cls(
            id=data["id"],
            position=int(data["position"]),
            asset_id=data["asset_id"],
            trim_in=float(data["trim_in"]),
            trim_out=float(data["trim_out"]),
            duration=float(data["duration"]),
            clip=(data["clip"]["clip_job_id"], int(data["clip"]["index"])) if data.get("clip") else None,
        )


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    # In order; empty in lists.
    items: tuple[ProjectItem, ...]
    duration: float
    created_at: datetime
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Project:
        return cls(
            id=data["id"],
            name=data["name"],
            items=tuple(ProjectItem.from_json(item) for item in data["items"]),
            duration=float(data["duration"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            raw=data,
        )


@dataclass(frozen=True)
class Export:
    """An export of a project; ``video_url`` is presigned once it has completed."""

    id: str
    job_id: str
    project_id: str
    status: str
    duration: float
    video_url: str | None
    size_bytes: int
    error: ErrorInfo | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Export:
        return cls(
            id=data["id"],
            job_id=data["job_id"],
            project_id=data["project_id"],
            status=data["status"],
            duration=float(data["duration"]),
            video_url=data.get("video_url"),
            size_bytes=int(data["size_bytes"]),
            error=ErrorInfo.from_json(data.get("error")),
            raw=data,
        )


@dataclass(frozen=True)
class MixVariant:
    index: int
    asset_ids: tuple[str, ...]
    duration: float
    metadata: dict[str, str]
    # Presigned once this variant is made.
    video_url: str | None

    @classmethod
    def from_json(cls, data: JSON) -> MixVariant:
        return cls(
            index=int(data["index"]),
            asset_ids=tuple(data["asset_ids"]),
            duration=float(data["duration"]),
            metadata=dict(data["metadata"]),
            video_url=data.get("video_url"),
        )


@dataclass(frozen=True)
class Mix:
    id: str
    job_id: str
    name: str
    status: str
    variants: tuple[MixVariant, ...]
    error: ErrorInfo | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Mix:
        return cls(
            id=data["id"],
            job_id=data["job_id"],
            name=data["name"],
            status=data["status"],
            variants=tuple(MixVariant.from_json(v) for v in data["variants"]),
            error=ErrorInfo.from_json(data.get("error")),
            raw=data,
        )


def mix_body(
    groups: Sequence[Sequence[str]],
    *,
    name: str,
    variants: int | None,
    combinations: Sequence[Sequence[int]] | None,
    settings: JSON | None,
    metadata: dict[str, str] | None,
) -> JSON:
    """The body of ``POST /v1/mixes``: manual when ``combinations`` are given, else auto."""
    body: JSON = {"name": name, "groups": [list(group) for group in groups], "metadata": dict(metadata or {})}
    if combinations is not None:
        body.update(mode="manual", combinations=[{"picks": list(picks)} for picks in combinations])
    else:
        body.update(mode="auto", variants=variants)
    if settings is not None:
        body["settings"] = settings
    return body


def export_body(
    *,
    resolution: str,
    aspect: str,
    fps: float,
    codec: str,
    quality: str,
    audio: bool,
    audio_codec: str,
    audio_bitrate: int,
    transitions: Sequence[tuple[str, float]],
) -> JSON:
    """The body of ``POST /v1/projects/{id}/exports``; ``transitions`` as
    ``(type, seconds)``: none (cuts), one for every join, or one per join."""
    return {
        "resolution": resolution,
        "aspect": aspect,
        "fps": fps,
        "codec": codec,
        "quality": quality,
        "audio": {"enabled": audio, "codec": audio_codec, "bitrate": audio_bitrate},
        "transitions": [{"type": kind, "duration": seconds} for kind, seconds in transitions],
    }
