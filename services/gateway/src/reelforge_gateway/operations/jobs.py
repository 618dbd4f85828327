"""Jobs: the tenant's read model of everything it started, and its live changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg

from reelforge_common.pagination import decode_cursor, encode_cursor
from reelforge_gateway.api.schemas import Job, JobPage
from reelforge_gateway.job_view import JobViews
from reelforge_gateway.live import TERMINAL, JobChange, JobFeed
from reelforge_gateway.operations.paging import page_size
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.projection import JobStatus
from reelforge_gateway.store import jobs

MAX_KIND_LENGTH = 40


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        return decode_cursor(cursor)
    except ValueError as exc:
        raise ProblemError("validation_failed", f"cursor: {exc}") from exc


async def get_job(pool: asyncpg.Pool, views: JobViews, *, tenant_id: str, job_id: str) -> Job:
    """One job; another tenant's job is not found, like one that does not exist."""
    row = await jobs.get_job(pool, tenant_id=tenant_id, job_id=job_id)
    if row is None:
        raise ProblemError("not_found", f"no job {job_id}")
    return await views.job(row)


async def list_jobs(
    pool: asyncpg.Pool,
    views: JobViews,
    *,
    tenant_id: str,
    status: JobStatus | None,
    kind: str | None,
    limit: int,
    cursor: str | None,
) -> JobPage:
    """The tenant's jobs, most recently updated first, a page at a time."""
    if kind is not None and len(kind) > MAX_KIND_LENGTH:
        raise ProblemError("validation_failed", f"kind: at most {MAX_KIND_LENGTH} characters")
    rows = await jobs.list_jobs(
        pool,
        tenant_id=tenant_id,
        limit=page_size(limit) + 1,
        after=_decode(cursor) if cursor else None,
        status=status.value if status else None,
        kind=kind,
    )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1]["updated_at"], page[-1]["id"]) if more else None
    return JobPage(items=[await views.job(row) for row in page], next_cursor=next_cursor)


async def watch_job(
    feed: JobFeed, pool: asyncpg.Pool, *, tenant_id: str, job_id: str, after: int | None
) -> AsyncIterator[JobChange | None] | None:
    """The job's changes after version ``after`` (its current state first
    when None) until it ends; None when it has ended and the client has seen
    its end already (nothing will follow). The iterator yields None when the
    stream is idle (time for a keep-alive)."""
    row = await jobs.get_job(pool, tenant_id=tenant_id, job_id=job_id)
    if row is None:
        raise ProblemError("not_found", f"no job {job_id}")
    seen = after or 0
    if row["status"] in TERMINAL and row["version"] <= seen:
        return None
    return _until_terminal(feed.follow(tenant_id, after=seen, job_id=job_id))


async def watch_tenant(
    feed: JobFeed, *, tenant_id: str, after: int | None, kind: str | None
) -> AsyncIterator[JobChange | None]:
    """Every change of the tenant's jobs (of ``kind``) after version ``after``,
    or from now on when None; None when idle."""
    # "From now on" is fixed before the stream starts: nothing after it is missed.
    start = await feed.now(tenant_id) if after is None else after
    return feed.follow(tenant_id, after=start, kind=kind)


async def _until_terminal(changes: AsyncIterator[JobChange | None]) -> AsyncIterator[JobChange | None]:
    async for change in changes:
        yield change
        if change is not None and change.terminal:
            return
