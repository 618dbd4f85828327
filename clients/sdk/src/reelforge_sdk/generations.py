"""AI generations, characters and spend as the API serves them, as frozen
dataclasses (each keeps its JSON in ``raw``). Money is in US dollars."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelforge_sdk.models import JSON, ErrorInfo


def _usd(money: Any) -> float | None:
    return float(money["usd"]) if money else None


@dataclass(frozen=True)
class Generation:
    id: str
    job_id: str
    status: str
    provider: str
    model: str
    prompt: str
    duration_s: float
    procedural: bool
    estimate_usd: float
    cost_usd: float
    cached_from: str | None
    # The video as an asset, and a presigned link to it, once succeeded.
    asset_id: str | None
    video_url: str | None
    error: ErrorInfo | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Generation:
        return cls(
            id=data["id"],
            job_id=data["job_id"],
            status=data["status"],
            provider=data["provider"],
            model=data["model"],
            prompt=data["prompt"],
            duration_s=float(data["duration_s"]),
            procedural=bool(data["procedural"]),
            estimate_usd=float(data["estimate"]["usd"]),
            cost_usd=float(data["cost"]["usd"]),
            cached_from=data.get("cached_from"),
            asset_id=data.get("asset_id"),
            video_url=data.get("video_url"),
            error=ErrorInfo.from_json(data.get("error")),
            raw=data,
        )


@dataclass(frozen=True)
class Estimate:
    provider: str
    model: str
    cost_usd: float
    cached: bool
    # None: no budget (unlimited).
    budget_usd: float | None
    spent_usd: float
    reserved_usd: float
    within_budget: bool
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Estimate:
        return cls(
            provider=data["provider"],
            model=data["model"],
            cost_usd=float(data["cost"]["usd"]),
            cached=bool(data["cached"]),
            budget_usd=_usd(data.get("budget")),
            spent_usd=float(data["spent"]["usd"]),
            reserved_usd=float(data["reserved"]["usd"]),
            within_budget=bool(data["within_budget"]),
            raw=data,
        )


@dataclass(frozen=True)
class Character:
    id: str
    project: str
    name: str
    image_asset_id: str
    active: bool
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Character:
        return cls(
            id=data["id"],
            project=data["project"],
            name=data["name"],
            image_asset_id=data["image_asset_id"],
            active=bool(data["active"]),
            raw=data,
        )


@dataclass(frozen=True)
class Spend:
    budget_usd: float | None
    spent_usd: float
    reserved_usd: float
    default_budget: bool
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Spend:
        return cls(
            budget_usd=_usd(data.get("budget")),
            spent_usd=float(data["spent"]["usd"]),
            reserved_usd=float(data["reserved"]["usd"]),
            default_budget=bool(data["default_budget"]),
            raw=data,
        )


def generation_body(
    prompt: str,
    *,
    provider: str,
    model: str | None,
    image_asset_id: str | None,
    character_id: str | None,
    duration: float | None,
    resolution: str | None,
    aspect: str | None,
    seed: int | None,
    cache: bool,
) -> JSON:
    """The body of ``POST /v1/generations``; the API's defaults where left out."""
    body: JSON = {"provider": provider, "prompt": prompt}
    given = {
        "model": model,
        "image_asset_id": image_asset_id,
        "character_id": character_id,
        "duration": duration,
        "resolution": resolution,
        "aspect": aspect,
        "seed": seed,
    }
    body.update({name: value for name, value in given.items() if value is not None})
    if not cache:
        body["cache"] = False
    return body
