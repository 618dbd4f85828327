"""Request and response bodies of generations, characters and AI spend."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reelforge_gateway.api.schemas import JobError

Resolution = Literal["480p", "512p", "720p", "768p", "1080p"]
Aspect = Literal["16:9", "9:16", "1:1"]
_USD = "US dollars"


class GenerationCreate(BaseModel):
    provider: str = Field(
        default="local", min_length=1, max_length=40, description="`local`, `minimax`, `segmind` (see /v1/providers)"
    )
    model: str | None = Field(default=None, max_length=100, description="Omit for the provider's default model")
    prompt: str = Field(default="", max_length=2000, description="What to show; may be empty with an image")
    image_asset_id: str | None = Field(
        default=None, max_length=100, description="An image asset (PNG, JPEG, WebP): the first frame"
    )
    character_id: str | None = Field(default=None, max_length=100, description="A character: its image is the subject")
    duration: float | None = Field(default=None, gt=0, le=60, description="Seconds; omit for the model's default")
    resolution: Resolution | None = Field(default=None, description="Omit for the model's default")
    aspect: Aspect | None = Field(default=None, description="Omit for the model's default")
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    cache: bool = Field(
        default=True,
        description="An identical earlier request's result answers this one at no cost; false calls the provider",
    )


class Money(BaseModel):
    usd: float = Field(description=_USD)
    micros: int = Field(description="Millionths of a dollar (exact)")

    @classmethod
    def of(cls, micros: int) -> Money:
        return cls(usd=round(micros / 1_000_000, 6), micros=micros)


class Estimate(BaseModel):
    provider: str
    model: str
    cost: Money = Field(description="The estimate from the price table (0 when the cache would answer)")
    cached: bool = Field(description="An identical request has a result: it would cost nothing")
    budget: Money | None = Field(description="The tenant's monthly budget; null when unlimited")
    spent: Money = Field(description="Charged this calendar month (UTC)")
    reserved: Money = Field(description="Estimates of the tenant's queued and running generations")
    within_budget: bool


class Generation(BaseModel):
    id: str
    job_id: str = Field(description="Follow it in /v1/jobs/{id} and its events")
    status: str = Field(description="queued, running, succeeded, failed or cancelled")
    provider: str = Field(description="Who made the video: the provider asked, or a fallback")
    model: str
    prompt: str
    duration_s: float
    resolution: str
    aspect: str
    image_asset_id: str | None
    character_id: str | None
    seed: int | None
    procedural: bool = Field(description="Made by the local procedural provider, not by a generative model")
    estimate: Money
    cost: Money = Field(description="What was charged (0 for a cached answer)")
    cached_from: str | None = Field(description="The earlier generation whose result answered this one")
    asset_id: str | None = Field(description="The video as an asset: sequence, clip or download it like an upload")
    video_url: str | None = Field(description="Presigned GET URL of the video (an hour)")
    video_url_expires_at: datetime | None
    attempts: int = Field(description="Provider calls made, retries included")
    error: JobError | None
    created_at: datetime
    completed_at: datetime | None


class GenerationPage(BaseModel):
    items: list[Generation]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class Model(BaseModel):
    name: str
    durations_s: list[int] = Field(description="The durations the model makes; empty: any in [min, max]")
    min_duration_s: float
    max_duration_s: float
    resolutions: list[str]
    aspects: list[str]
    accepts_image: bool
    accepts_character: bool
    default: bool


class Provider(BaseModel):
    name: str
    procedural: bool
    models: list[Model]
    circuit: str = Field(description="closed (healthy), open (failing: calls refused for a while) or half_open")
    fallbacks: list[str] = Field(description="Tried in order when this provider is unavailable")


class CharacterCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    project: str = Field(default="", max_length=200, description="Groups characters; empty for none")
    image_asset_id: str = Field(min_length=1, max_length=100, description="The reference image (an image asset)")


class CharacterUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = Field(default=None, description="Inactive characters cannot be generated with")
    image_asset_id: str | None = Field(default=None, min_length=1, max_length=100)


class Character(BaseModel):
    id: str
    project: str
    name: str
    image_asset_id: str
    active: bool
    created_at: datetime
    updated_at: datetime


class CharacterPage(BaseModel):
    items: list[Character]
    next_cursor: str | None


class LedgerEntry(BaseModel):
    generation_id: str | None
    kind: Literal["generation", "completion"]
    provider: str
    model: str
    amount: Money
    at: datetime


class Spend(BaseModel):
    budget: Money | None = Field(description="Monthly budget; null when unlimited")
    default_budget: bool = Field(description="The deployment's default, not set for this tenant")
    spent: Money = Field(description="Charged since period_start")
    reserved: Money = Field(description="Estimates of queued and running generations")
    period_start: datetime = Field(description="The start of the UTC calendar month: budgets renew monthly")
    entries: list[LedgerEntry] = Field(description="The latest charges, newest first")


class BudgetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    monthly_usd: float | None = Field(
        ge=0,
        le=10_000_000,
        strict=True,  # a number: not `false`, not "5"
        description="Monthly budget in USD; 0 for unlimited; null for the deployment's default",
    )
