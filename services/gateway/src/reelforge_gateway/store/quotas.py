"""SQL of quotas and usage."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from reelforge_common.db.connection import Connection


async def tenant_quotas(conn: Connection | asyncpg.Pool, tenant_id: str) -> asyncpg.Record | None:
    """The tenant's own quotas (NULL: the default), or None if there is no such tenant."""
    return await conn.fetchrow(
        """SELECT max_upload_bytes, max_media_duration_s, max_concurrent_jobs, monthly_minutes,
                  rate_limit_per_s, rate_limit_burst
           FROM tenants WHERE id = $1""",
        tenant_id,
    )


async def set_quotas(conn: Connection | asyncpg.Pool, tenant_id: str, values: dict[str, int | float | None]) -> bool:
    """Set the given quota columns (validated names); False if there is no such tenant."""
    assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(values, start=2))
    status: str = await conn.execute(f"UPDATE tenants SET {assignments} WHERE id = $1", tenant_id, *values.values())
    return status.endswith(" 1")


async def active_jobs(conn: Connection | asyncpg.Pool, tenant_id: str) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND status IN ('queued', 'running')", tenant_id
    )
    return count


async def used_seconds(conn: Connection | asyncpg.Pool, tenant_id: str, at: datetime) -> float:
    seconds: float | None = await conn.fetchval(
        "SELECT seconds FROM usage WHERE tenant_id = $1 AND month = date_trunc('month', $2::timestamptz)::date",
        tenant_id,
        at,
    )
    return seconds or 0.0


async def add_usage(conn: Connection, *, event_id: str, tenant_id: str, at: datetime, seconds: float) -> bool:
    """Count ``seconds`` of processed media once per event; False for a repeat."""
    if not await conn.fetchval(
        "INSERT INTO usage_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true", event_id
    ):
        return False
    await conn.execute(
        """INSERT INTO usage (tenant_id, month, seconds)
           VALUES ($1, date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date, $3)
           ON CONFLICT (tenant_id, month) DO UPDATE SET seconds = usage.seconds + EXCLUDED.seconds""",
        tenant_id,
        at,
        seconds,
    )
    return True
