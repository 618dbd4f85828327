"""Jobs: the tenant's read model of everything it started."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from reelforge_gateway.api.deps import Feed, Pool, Reader
from reelforge_gateway.api.schemas import Job, JobPage
from reelforge_gateway.operations import jobs
from reelforge_gateway.operations.paging import DEFAULT_PAGE, MAX_PAGE
from reelforge_gateway.problems import documented
from reelforge_gateway.projection import JobStatus

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=documented("unauthenticated", "forbidden"))


@router.get("", responses=documented("validation_failed"))
async def list_jobs(
    caller: Reader,
    pool: Pool,
    feed: Feed,
    status: JobStatus | None = None,
    kind: Annotated[str | None, Query(max_length=jobs.MAX_KIND_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: str | None = None,
) -> JobPage:
    """The caller's jobs, most recently updated first, a page at a time."""
    return await jobs.list_jobs(
        pool, feed.views, tenant_id=caller.tenant_id, status=status, kind=kind, limit=limit, cursor=cursor
    )


@router.get("/{job_id}", responses=documented("not_found"))
async def get_job(job_id: str, caller: Reader, pool: Pool, feed: Feed) -> Job:
    """One job; another tenant's job answers 404 like one that does not exist. A
    succeeded job's `outputs` are presigned URLs, valid until `expires_at` (55 to 60 minutes)."""
    return await jobs.get_job(pool, feed.views, tenant_id=caller.tenant_id, job_id=job_id)
