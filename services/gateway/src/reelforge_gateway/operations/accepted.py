"""What every operation that starts an ingest job shares: admission against
the tenant's quotas, the job's id, and its first row in the read model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from reelforge.ingest.v1 import ingest_pb2
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.live import JobFeed
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.projection import JobStatus, JobUpdate
from reelforge_gateway.quotas import TenantQuotas, admit_job, quotas_of


async def admit(
    pool: asyncpg.Pool, settings: GatewaySettings, *, tenant_id: str, size_bytes: int | None = None
) -> TenantQuotas:
    """The tenant's quotas, once a new job (of a file of ``size_bytes``, when
    the caller says) fits them."""
    quotas = await quotas_of(pool, tenant_id, settings)
    if size_bytes is not None and size_bytes > quotas.max_upload_bytes:
        raise ProblemError("upload_too_large", f"the upload quota is {quotas.max_upload_bytes} bytes")
    await admit_job(pool, tenant_id, quotas)
    return quotas


def new_job_id() -> str:
    return str(uuid.uuid4())


async def record_job(
    feed: JobFeed, *, tenant_id: str, job_id: str, kind: str, resource_id: str, at: datetime
) -> dict[str, Any] | None:
    """The job is in the jobs read model from the moment it is accepted; its
    events, however early, are newer than this row and win. Returns the row."""
    update = JobUpdate(
        tenant_id=tenant_id,
        job_id=job_id,
        kind=kind,
        status=JobStatus.QUEUED,
        at=at,
        resource_id=resource_id,
        progress=0.0,
    )
    return await feed.apply(update)


async def record_ingest_job(feed: JobFeed, asset: ingest_pb2.Asset) -> None:
    await record_job(
        feed,
        tenant_id=asset.tenant_id,
        job_id=asset.job_id,
        kind="ingest",
        resource_id=asset.id,
        at=asset.created_at.ToDatetime(tzinfo=UTC),
    )
