"""SQL of the jobs read model."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

from reelforge_common.db.connection import Connection
from reelforge_gateway.projection import JobUpdate

# Events arrive out of order (consumers run concurrently): the job's state
# changes only for an update not older than what the row shows (a failure
# always applies: clocks of producers differ), and a finished job never goes
# back to running. Events of sub-jobs share the
# parent's correlation id; only events of the job's own kind move its state
# (the parent's service reports the sub-jobs' part in its own progress).
_APPLY_STATE = """
INSERT INTO jobs AS j (tenant_id, id, kind, resource_id, status, stage, progress,
                       error_code, error_message, created_at, updated_at, outputs)
VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::double precision, 0), $8, $9, $10, $10, $11::jsonb)
ON CONFLICT (tenant_id, id) DO UPDATE SET
    status = EXCLUDED.status,
    stage = COALESCE(NULLIF(EXCLUDED.stage, ''), j.stage),
    progress = COALESCE($7::double precision, j.progress),
    error_code = EXCLUDED.error_code,
    error_message = EXCLUDED.error_message,
    updated_at = EXCLUDED.updated_at,
    outputs = CASE WHEN EXCLUDED.outputs = '{}' THEN j.outputs ELSE EXCLUDED.outputs END,
    version = nextval('job_changes')
WHERE j.kind = EXCLUDED.kind
  AND (j.updated_at <= EXCLUDED.updated_at OR EXCLUDED.status = 'failed')
  AND j.status NOT IN ('succeeded', 'failed')
RETURNING *
"""

# Facts that do not change over a job's life fill in whatever the order.
_APPLY_FACTS = """
UPDATE jobs SET resource_id = COALESCE(NULLIF(resource_id, ''), $3),
                created_at = LEAST(created_at, $4),
                version = nextval('job_changes')
WHERE tenant_id = $1 AND id = $2 AND kind = $5
  AND ((resource_id = '' AND $3 <> '') OR created_at > $4)
RETURNING *
"""


def _job(row: asyncpg.Record) -> dict[str, Any]:
    job = dict(row)
    job["outputs"] = json.loads(job["outputs"])
    return job


class Applied(NamedTuple):
    """The job's row if the update changed it (else None), and whether its
    state (status, stage, progress, error) changed, not only its facts."""

    row: dict[str, Any] | None
    state_changed: bool


async def apply_update(conn: Connection, update: JobUpdate) -> Applied:
    """Apply ``update`` in one transaction (the caller's, if it has one open)."""
    async with conn.transaction():
        state = await conn.fetchrow(
            _APPLY_STATE,
            update.tenant_id,
            update.job_id,
            update.kind,
            update.resource_id,
            update.status.value,
            update.stage,
            update.progress,
            update.error_code,
            update.error_message,
            update.at,
            json.dumps(dict(update.outputs)),
        )
        facts = await conn.fetchrow(
            _APPLY_FACTS, update.tenant_id, update.job_id, update.resource_id, update.at, update.kind
        )
    changed = facts or state
    return Applied(_job(changed) if changed is not None else None, state is not None)


async def get_job(conn: Connection | asyncpg.Pool, *, tenant_id: str, job_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM jobs WHERE tenant_id = $1 AND id = $2", tenant_id, job_id)
    return _job(row) if row is not None else None


async def list_jobs(
    conn: Connection | asyncpg.Pool,
    *,
    tenant_id: str,
    limit: int,
    after: tuple[datetime, str] | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """A page of the tenant's jobs, newest update first; ``after`` is the
    (updated_at, id) of the last row of the previous page."""
    rows = await conn.fetch(
        """
        SELECT * FROM jobs
        WHERE tenant_id = $1
          AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR kind = $3)
          AND ($4::timestamptz IS NULL OR (updated_at, id) < ($4, $5))
        ORDER BY updated_at DESC, id DESC
        LIMIT $6
        """,
        tenant_id,
        status,
        kind,
        after[0] if after else None,
        after[1] if after else "",
        limit,
    )
    return [_job(row) for row in rows]


async def changes_since(
    conn: Connection | asyncpg.Pool, *, tenant_id: str, version: int, job_id: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The tenant's jobs (or one job) changed after ``version``, oldest change first."""
    rows = await conn.fetch(
        """
        SELECT * FROM jobs
        WHERE tenant_id = $1 AND version > $2 AND ($3::text IS NULL OR id = $3)
        ORDER BY version
        LIMIT $4
        """,
        tenant_id,
        version,
        job_id,
        limit,
    )
    return [_job(row) for row in rows]


async def latest_version(conn: Connection | asyncpg.Pool, *, tenant_id: str) -> int:
    """The version of the tenant's latest job change (0 if it has none)."""
    version: int = await conn.fetchval("SELECT coalesce(max(version), 0) FROM jobs WHERE tenant_id = $1", tenant_id)
    return version
