"""Quotas, rate limits and usage: the operator sets them, a tenant reads its own."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from reelforge_gateway.api.deps import Operator, Pool, Reader, Settings
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.problems import ProblemError, documented
from reelforge_gateway.quotas import quotas_of
from reelforge_gateway.store import quotas as store

router = APIRouter(tags=["quotas"], responses=documented("unauthenticated"))


class Quotas(BaseModel):
    max_upload_bytes: int = Field(description="Largest upload (`upload_too_large`, 413)")
    max_media_duration_s: float = Field(description="Longest media per asset (`duration_quota_exceeded`, 422)")
    max_concurrent_jobs: int = Field(description="Jobs queued or running at once (`concurrent_jobs_exceeded`, 429)")
    monthly_minutes: int = Field(description="Media minutes processed per UTC month (`monthly_minutes_exceeded`, 429)")
    rate_limit_per_s: float = Field(description="Sustained API requests a second (`rate_limited`, 429)")
    rate_limit_burst: int = Field(description="Requests allowed at once after a quiet spell")
    defaults: list[str] = Field(description="The quotas that are the gateway's defaults, not set for this tenant")


class Usage(BaseModel):
    month: date = Field(description="The current UTC month (its first day)")
    minutes_used: float
    active_jobs: int = Field(description="Jobs queued or running now")


class QuotaReport(BaseModel):
    tenant_id: str
    quotas: Quotas
    usage: Usage


def _json_number(value: object) -> object:
    """A JSON number (19698.0 is an integer to JSON Schema), not `true` nor "5"."""
    if isinstance(value, bool | str):
        raise ValueError("must be a number")
    return value


Whole = Annotated[int | None, BeforeValidator(_json_number)]
Rate = Annotated[float | None, BeforeValidator(_json_number)]


class QuotaPatch(BaseModel):
    """JSON merge patch: a quota left out stays as it is; `null` returns it to the gateway's default."""

    model_config = ConfigDict(extra="forbid")

    # At most S3's largest object (5 TiB), a bound JSON numbers carry exactly (2**63 - 1 does not).
    max_upload_bytes: Whole = Field(default=None, gt=0, le=5 * 1024**4)
    max_media_duration_s: Rate = Field(default=None, gt=0, le=10**7)
    max_concurrent_jobs: Whole = Field(default=None, gt=0, le=1_000_000)
    monthly_minutes: Whole = Field(default=None, gt=0, le=2**31 - 1)
    rate_limit_per_s: Rate = Field(default=None, ge=0.001, le=1_000_000)
    rate_limit_burst: Whole = Field(default=None, ge=1, le=1_000_000)


async def _report(pool: Pool, tenant_id: str, settings: GatewaySettings) -> QuotaReport:
    quotas = await quotas_of(pool, tenant_id, settings)
    now = datetime.now(UTC)
    return QuotaReport(
        tenant_id=tenant_id,
        quotas=Quotas(
            max_upload_bytes=quotas.max_upload_bytes,
            max_media_duration_s=quotas.max_media_duration_s,
            max_concurrent_jobs=quotas.max_concurrent_jobs,
            monthly_minutes=quotas.monthly_minutes,
            rate_limit_per_s=quotas.rate_limit_per_s,
            rate_limit_burst=quotas.rate_limit_burst,
            defaults=sorted(set(QuotaPatch.model_fields) - quotas.own),
        ),
        usage=Usage(
            month=now.date().replace(day=1),
            minutes_used=round(await store.used_seconds(pool, tenant_id, now) / 60, 3),
            active_jobs=await store.active_jobs(pool, tenant_id),
        ),
    )


@router.get("/v1/quotas")
async def my_quotas(caller: Reader, pool: Pool, settings: Settings) -> QuotaReport:
    """The caller's quotas, rate limit and usage this month."""
    return await _report(pool, caller.tenant_id, settings)


@router.get("/v1/admin/tenants/{tenant_id}/quotas", tags=["operator"], responses=documented("not_found"))
async def tenant_quotas(tenant_id: str, _: Operator, pool: Pool, settings: Settings) -> QuotaReport:
    """A tenant's quotas, rate limit and usage this month."""
    if await store.tenant_quotas(pool, tenant_id) is None:
        raise ProblemError("not_found", f"no tenant {tenant_id}")
    return await _report(pool, tenant_id, settings)


@router.patch(
    "/v1/admin/tenants/{tenant_id}/quotas",
    tags=["operator"],
    responses=documented("not_found", "validation_failed"),
)
async def set_tenant_quotas(
    tenant_id: str, body: QuotaPatch, _: Operator, pool: Pool, settings: Settings
) -> QuotaReport:
    """Change some of a tenant's quotas; applies to the next request or job."""
    changes = body.model_dump(include=body.model_fields_set)
    if changes:
        found = await store.set_quotas(pool, tenant_id, changes)
    else:
        found = await store.tenant_quotas(pool, tenant_id) is not None
    if not found:
        raise ProblemError("not_found", f"no tenant {tenant_id}")
    return await _report(pool, tenant_id, settings)
