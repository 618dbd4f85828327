"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from reelforge_gateway.keys import Scope


class JobError(BaseModel):
    code: str
    message: str


class Job(BaseModel):
    id: str
    kind: str = Field(description="ingest, transcription, pose, compare, generation, clipjob, render")
    status: str = Field(description="queued, running, succeeded or failed")
    stage: str
    progress: float = Field(ge=0, le=1)
    resource_id: str = Field(description="What the job works on: an asset, comparison, render...")
    created_at: datetime
    updated_at: datetime
    error: JobError | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        error = JobError(code=row["error_code"], message=row["error_message"] or "") if row["error_code"] else None
        return cls(
            id=row["id"],
            kind=row["kind"],
            status=row["status"],
            stage=row["stage"],
            progress=row["progress"],
            resource_id=row["resource_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            error=error,
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
