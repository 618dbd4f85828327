"""SQL of the jobs read model."""

from __future__ import annotations

from typing import Any

import asyncpg

from reelforge_gateway.projection import JobUpdate

# Events can arrive out of order: an update applies only if it is not older
# than what the row shows, and a finished job never goes back to running.
_APPLY = """
INSERT INTO jobs AS j (tenant_id, id, kind, resource_id, status, stage, progress,
                       error_code, error_message, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 0), $8, $9, $10, $10)
ON CONFLICT (tenant_id, id) DO UPDATE SET
    status = EXCLUDED.status,
    resource_id = COALESCE(NULLIF(EXCLUDED.resource_id, ''), j.resource_id),
    stage = COALESCE(NULLIF(EXCLUDED.stage, ''), j.stage),
    progress = COALESCE($7, j.progress),
    error_code = EXCLUDED.error_code,
    error_message = EXCLUDED.error_message,
    created_at = LEAST(j.created_at, EXCLUDED.created_at),
    updated_at = EXCLUDED.updated_at
WHERE j.updated_at <= EXCLUDED.updated_at AND j.status NOT IN ('succeeded', 'failed')
"""


async def apply_update(conn: asyncpg.Connection | asyncpg.Pool, update: JobUpdate) -> None:
    await conn.execute(
        _APPLY,
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
    )


async def get_job(conn: asyncpg.Connection | asyncpg.Pool, *, tenant_id: str, job_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM jobs WHERE tenant_id = $1 AND id = $2", tenant_id, job_id)
    return dict(row) if row is not None else None
