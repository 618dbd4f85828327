"""Clip jobs as the API serves them, as frozen dataclasses (each keeps its JSON in ``raw``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelforge_sdk.models import JSON, ErrorInfo


@dataclass(frozen=True)
class Clip:
    """One moment, rendered: ``video_url``, ``thumbnail_url`` and ``subtitles_url``
    are presigned (None until the job has completed)."""

    index: int
    start_s: float
    end_s: float
    score: float
    title: str
    excerpt: str
    # Suggested by the language model when the deployment ranks with one.
    hashtags: tuple[str, ...]
    video_url: str | None
    thumbnail_url: str | None
    subtitles_url: str | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Clip:
        def url(name: str) -> str | None:
            link = data.get(name)
            return str(link["url"]) if link else None

        return cls(
            index=int(data["index"]),
            start_s=float(data["start_s"]),
            end_s=float(data["end_s"]),
            score=float(data["score"]),
            title=data["title"],
            excerpt=data["excerpt"],
            hashtags=tuple(data.get("hashtags") or ()),
            video_url=url("video"),
            thumbnail_url=url("thumbnail"),
            subtitles_url=url("subtitles"),
            raw=data,
        )


@dataclass(frozen=True)
class ClipJob:
    id: str
    job_id: str
    asset_id: str
    status: str
    clips: tuple[Clip, ...]
    error: ErrorInfo | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> ClipJob:
        return cls(
            id=data["id"],
            job_id=data["job_id"],
            asset_id=data["asset_id"],
            status=data["status"],
            clips=tuple(Clip.from_json(clip) for clip in data["clips"]),
            error=ErrorInfo.from_json(data.get("error")),
            raw=data,
        )


def clip_job_body(
    asset_id: str | None,
    *,
    source_url: str | None,
    count: int,
    min_duration: float,
    max_duration: float,
    aspect: str,
    captions: dict[str, str] | None,
    no_captions: bool,
    prompt: str | None,
    language: str | None,
    export: dict[str, Any] | None,
) -> JSON:
    """The body of ``POST /v1/clip-jobs``; the API's defaults where left out."""
    body: JSON = {"count": count, "min_duration": min_duration, "max_duration": max_duration, "aspect": aspect}
    given = {"asset_id": asset_id, "source_url": source_url, "prompt": prompt, "language": language, "export": export}
    body.update({name: value for name, value in given.items() if value is not None})
    if no_captions:
        body["captions"] = None
    elif captions is not None:
        body["captions"] = captions
    return body
