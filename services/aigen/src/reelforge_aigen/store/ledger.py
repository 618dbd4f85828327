"""Budgets and the spend ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class Entry:
    generation_id: str
    job_id: str
    kind: str
    provider: str
    model: str
    amount_micros: int
    at: datetime


async def lock_budget(conn: Connection, tenant_id: str) -> int | None:
    """The tenant's own monthly budget (None: the default), its row locked
    until the transaction ends, so two requests never both spend the last dollar."""
    await conn.execute("INSERT INTO budgets (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", tenant_id)
    value = await conn.fetchval("SELECT monthly_micros FROM budgets WHERE tenant_id = $1 FOR UPDATE", tenant_id)
    return int(value) if value is not None else None


async def own_budget(conn: Db, tenant_id: str) -> int | None:
    value = await conn.fetchval("SELECT monthly_micros FROM budgets WHERE tenant_id = $1", tenant_id)
    return int(value) if value is not None else None


async def set_budget(conn: Db, tenant_id: str, monthly_micros: int | None) -> None:
    await conn.execute(
        """INSERT INTO budgets (tenant_id, monthly_micros) VALUES ($1, $2)
           ON CONFLICT (tenant_id) DO UPDATE SET monthly_micros = EXCLUDED.monthly_micros""",
        tenant_id,
        monthly_micros,
    )


async def period_start(conn: Db) -> datetime:
    """The start of this calendar month (UTC), when budgets renew."""
    value: datetime = await conn.fetchval("SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'")
    return value


async def spent_micros(conn: Db, tenant_id: str) -> int:
    """What the tenant was charged this calendar month."""
    value = await conn.fetchval(
        """SELECT coalesce(sum(amount_micros), 0) FROM ledger
           WHERE tenant_id = $1 AND at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'""",
        tenant_id,
    )
    return int(value)


async def charge(
    conn: Db,
    *,
    tenant_id: str,
    kind: str,
    provider: str,
    model: str,
    amount_micros: int,
    generation_id: str = "",
    job_id: str = "",
) -> None:
    """Record a charge; a generation is charged once (a redelivery adds nothing)."""
    await conn.execute(
        """INSERT INTO ledger (tenant_id, generation_id, job_id, kind, provider, model, amount_micros)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant_id, generation_id) WHERE kind = 'generation' DO NOTHING""",
        tenant_id,
        generation_id,
        job_id,
        kind,
        provider,
        model,
        amount_micros,
    )


async def latest(conn: Db, tenant_id: str, limit: int) -> list[Entry]:
    records = await conn.fetch(
        """SELECT generation_id, job_id, kind, provider, model, amount_micros, at FROM ledger
           WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2""",
        tenant_id,
        limit,
    )
    return [Entry(**dict(r)) for r in records]
