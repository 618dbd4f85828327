"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from reelforge_gateway.keys import Scope

# A string holding something besides whitespace: what the services find left after
# str.strip() (which also strips \x1c-\x1f, whitespace to Python but not to the
# Rust regex engine pydantic validates patterns with).
NOT_BLANK = r"[^\s\x1c-\x1f]"


class JobError(BaseModel):
    code: str
    message: str


class JobOutput(BaseModel):
    url: str = Field(description="Presigned GET URL of the output")
    expires_at: datetime


class Job(BaseModel):
    id: str
    kind: str = Field(description="ingest, transcription, pose, compare, generation, clipjob, export")
    status: str = Field(description="queued, running, succeeded or failed")
    stage: str
    progress: float = Field(ge=0, le=1)
    resource_id: str = Field(description="What the job works on: an asset, comparison, render...")
    created_at: datetime
    updated_at: datetime
    error: JobError | None = None
    outputs: dict[str, JobOutput] = Field(
        default_factory=dict,
        description="What a succeeded job produced, by name (an ingest job: original, thumbnail, filmstrip, "
        "audio, proxy), each a presigned URL valid until its `expires_at` (55 to 60 minutes)",
    )


class JobPage(BaseModel):
    items: list[Job]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class TenantCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")


class Tenant(BaseModel):
    id: str
    name: str
    created_at: datetime


class ApiKeyCreate(BaseModel):
    name: str = Field(default="", max_length=100)
    scopes: list[Scope] = Field(default=[Scope.READ, Scope.WRITE], min_length=1)


class ApiKey(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyWithSecret(ApiKey):
    token: str = Field(description="rf_<id>_<secret>: shown once, store it now")


class TenantWithKey(BaseModel):
    tenant: Tenant
    api_key: ApiKeyWithSecret


class SearchHit(BaseModel):
    asset_id: str
    transcript_id: str
    start_s: float = Field(description="Where the matching segment starts in the asset's media, in seconds")
    end_s: float
    text: str = Field(description="What is said there")
    score: float = Field(description="Relevance; higher is better")


class SearchPage(BaseModel):
    items: list[SearchHit]


class TranscriptionCreate(BaseModel):
    asset_id: str = Field(min_length=1, max_length=100)
    language: str | None = Field(
        default=None, min_length=2, max_length=8, description="ISO 639-1 code, e.g. `en`; omit to detect"
    )
    model: str | None = Field(default=None, max_length=100, description="Omit for the deployment's model")
    word_timestamps: bool = True
    prompt: str | None = Field(
        default=None,
        max_length=1000,
        description="Initial prompt: text that precedes the first window (spelling, style)",
    )
    hotwords: str | None = Field(
        default=None, max_length=500, description="Words and names to favour, e.g. `clubs diamonds hearts spades`"
    )
