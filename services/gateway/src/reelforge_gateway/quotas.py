"""Tenant quotas: what a tenant may send and start, checked before a job begins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from reelforge.ingest.v1.ingest_pb2 import Quota
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.store import quotas as store

QUOTA_NAMES = (
    "max_upload_bytes",
    "max_media_duration_s",
    "max_concurrent_jobs",
    "monthly_minutes",
    "rate_limit_per_s",
    "rate_limit_burst",
)


@dataclass(frozen=True)
class TenantQuotas:
    max_upload_bytes: int
    max_media_duration_s: float
    max_concurrent_jobs: int
    monthly_minutes: int
    rate_limit_per_s: float
    rate_limit_burst: int
    # Names of the quotas set for this tenant; the others are the gateway's defaults.
    own: frozenset[str] = frozenset()

    @property
    def for_ingest(self) -> Quota:
        return Quota(max_upload_bytes=self.max_upload_bytes, max_duration_s=self.max_media_duration_s)


def defaults(settings: GatewaySettings) -> dict[str, int | float]:
    return {
        "max_upload_bytes": settings.default_max_upload_bytes,
        "max_media_duration_s": settings.default_max_media_duration_s,
        "max_concurrent_jobs": settings.default_max_concurrent_jobs,
        "monthly_minutes": settings.default_monthly_minutes,
        "rate_limit_per_s": settings.rate_limit_per_s,
        "rate_limit_burst": settings.rate_limit_burst,
    }


async def quotas_of(pool: asyncpg.Pool, tenant_id: str, settings: GatewaySettings) -> TenantQuotas:
    row = await store.tenant_quotas(pool, tenant_id)
    own = {name: value for name, value in (dict(row) if row else {}).items() if value is not None}
    values = {**defaults(settings), **own}
    return TenantQuotas(
        max_upload_bytes=int(values["max_upload_bytes"]),
        max_media_duration_s=float(values["max_media_duration_s"]),
        max_concurrent_jobs=int(values["max_concurrent_jobs"]),
        monthly_minutes=int(values["monthly_minutes"]),
        rate_limit_per_s=float(values["rate_limit_per_s"]),
        rate_limit_burst=int(values["rate_limit_burst"]),
        own=frozenset(own),
    )


async def admit_job(pool: asyncpg.Pool, tenant_id: str, quotas: TenantQuotas) -> None:
    """Refuse a new job when the tenant is at its concurrency or monthly quota."""
    active = await store.active_jobs(pool, tenant_id)
    if active >= quotas.max_concurrent_jobs:
        raise ProblemError(
            "concurrent_jobs_exceeded",
            f"{active} jobs are queued or running; the quota is {quotas.max_concurrent_jobs}",
            headers={"Retry-After": "30"},
        )
    used_minutes = await store.used_seconds(pool, tenant_id, datetime.now(UTC)) / 60
    if used_minutes >= quotas.monthly_minutes:
        raise ProblemError(
            "monthly_minutes_exceeded",
            f"{used_minutes:.0f} of {quotas.monthly_minutes} processing minutes used this month",
        )
