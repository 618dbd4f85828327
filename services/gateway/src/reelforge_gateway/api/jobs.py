"""Jobs: the tenant's read model of everything it started."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from reelforge_common.pagination import decode_cursor, encode_cursor
from reelforge_gateway.api.deps import Pool, Reader
from reelforge_gateway.api.schemas import Job, JobPage
from reelforge_gateway.problems import ProblemError, documented
from reelforge_gateway.projection import JobStatus
from reelforge_gateway.store import jobs

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=documented("unauthenticated", "forbidden"))


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        return decode_cursor(cursor)
    except ValueError as exc:
        raise ProblemError("validation_failed", f"cursor: {exc}") from exc


@router.get("", responses=documented("validation_failed"))
async def list_jobs(
    caller: Reader,
    pool: Pool,
    status: JobStatus | None = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> JobPage:
    """The caller's jobs, most recently updated first, a page at a time."""
    rows = await jobs.list_jobs(
        pool,
        tenant_id=caller.tenant_id,
        limit=limit + 1,
        after=_decode(cursor) if cursor else None,
        status=status.value if status else None,
        kind=kind,
    )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1]["updated_at"], page[-1]["id"]) if more else None
    return JobPage(items=[Job.from_row(row) for row in page], next_cursor=next_cursor)


@router.get("/{job_id}", responses=documented("not_found"))
async def get_job(job_id: str, caller: Reader, pool: Pool) -> Job:
    """One job; another tenant's job answers 404 like one that does not exist."""
    row = await jobs.get_job(pool, tenant_id=caller.tenant_id, job_id=job_id)
    if row is None:
        raise ProblemError("not_found", f"no job {job_id}")
    return Job.from_row(row)
