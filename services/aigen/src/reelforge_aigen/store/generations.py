"""Generations, from acceptance to their end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reelforge_aigen.spec import Spec
from reelforge_common.db.connection import Executor as Db

OPEN = ("queued", "running")


@dataclass(frozen=True)
class GenerationRow:
    tenant_id: str
    id: str
    job_id: str
    status: str
    spec: Spec
    request_hash: str
    quota_max_bytes: int
    quota_max_duration_s: float
    estimate_micros: int
    cost_micros: int
    provider: str
    model: str
    provider_task_id: str
    attempts: int
    cached_from: str
    video_key: str
    asset_id: str
    procedural: bool
    error_code: str | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None


_COLUMNS = ", ".join(GenerationRow.__dataclass_fields__)


def _row(record: asyncpg.Record | None) -> GenerationRow | None:
    if record is None:
        return None
    values = dict(record)
    values["spec"] = Spec.from_json(values["spec"])
    return GenerationRow(**values)


async def create(
    conn: Db,
    *,
    tenant_id: str,
    generation_id: str,
    job_id: str,
    spec: Spec,
    request_hash: str,
    quota_max_bytes: int,
    quota_max_duration_s: float,
    estimate_micros: int,
    procedural: bool,
) -> GenerationRow:
    record = await conn.fetchrow(
        f"""INSERT INTO generations (tenant_id, id, job_id, status, spec, request_hash, quota_max_bytes,
                                     quota_max_duration_s, estimate_micros, provider, model, procedural)
            VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {_COLUMNS}""",
        tenant_id,
        generation_id,
        job_id,
        spec.to_json(),
        request_hash,
        quota_max_bytes,
        quota_max_duration_s,
        estimate_micros,
        spec.provider,
        spec.model,
        procedural,
    )
    row = _row(record)
    assert row is not None
    return row


async def create_cached(
    conn: Db, *, tenant_id: str, generation_id: str, job_id: str, spec: Spec, earlier: GenerationRow
) -> GenerationRow:
    """A generation answered by an earlier one's result: succeeded at once, for nothing."""
    record = await conn.fetchrow(
        f"""INSERT INTO generations (tenant_id, id, job_id, status, spec, request_hash, provider, model,
                                     cached_from, video_key, asset_id, procedural, completed_at)
            VALUES ($1, $2, $3, 'succeeded', $4, $5, $6, $7, $8, $9, $10, $11, now()) RETURNING {_COLUMNS}""",
        tenant_id,
        generation_id,
        job_id,
        spec.to_json(),
        earlier.request_hash,
        earlier.provider,
        earlier.model,
        earlier.cached_from or earlier.id,
        earlier.video_key,
        earlier.asset_id,
        earlier.procedural,
    )
    row = _row(record)
    assert row is not None
    return row


async def get(conn: Db, tenant_id: str, generation_id: str, *, lock: bool = False) -> GenerationRow | None:
    query = f"SELECT {_COLUMNS} FROM generations WHERE tenant_id = $1 AND id = $2" + (" FOR UPDATE" if lock else "")
    return _row(await conn.fetchrow(query, tenant_id, generation_id))


async def by_job(conn: Db, tenant_id: str, job_id: str) -> GenerationRow | None:
    return _row(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM generations WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
        )
    )


async def cached(conn: Db, tenant_id: str, request_hash: str) -> GenerationRow | None:
    """The latest succeeded generation of the tenant with this request hash."""
    return _row(
        await conn.fetchrow(
            f"""SELECT {_COLUMNS} FROM generations
                WHERE tenant_id = $1 AND request_hash = $2 AND status = 'succeeded' AND asset_id <> ''
                ORDER BY completed_at DESC LIMIT 1""",
            tenant_id,
            request_hash,
        )
    )


async def page(
    conn: Db, tenant_id: str, *, status: str, provider: str, limit: int, after: tuple[datetime, str] | None
) -> list[GenerationRow]:
    """Newest first, after the keyset position ``after``."""
    records = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM generations
            WHERE tenant_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR spec->>'provider' = $3)
              AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
            ORDER BY created_at DESC, id DESC LIMIT $6""",
        tenant_id,
        status,
        provider,
        after[0] if after else None,
        after[1] if after else "",
        limit,
    )
    return [row for r in records if (row := _row(r)) is not None]


async def reserved_micros(conn: Db, tenant_id: str) -> int:
    """Estimates of the tenant's queued and running generations: money spoken for."""
    value = await conn.fetchval(
        "SELECT coalesce(sum(estimate_micros), 0) FROM generations WHERE tenant_id = $1 AND status = ANY($2)",
        tenant_id,
        list(OPEN),
    )
    return int(value)


async def start(conn: Db, tenant_id: str, generation_id: str) -> None:
    await conn.execute(
        "UPDATE generations SET status = 'running' WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant_id,
        generation_id,
    )


async def set_provider(
    conn: Db, tenant_id: str, generation_id: str, *, provider: str, model: str, estimate_micros: int, procedural: bool
) -> None:
    """The provider (a fallback, say) that takes the generation on."""
    await conn.execute(
        """UPDATE generations SET provider = $3, model = $4, estimate_micros = $5, procedural = $6,
                  provider_task_id = ''
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        generation_id,
        provider,
        model,
        estimate_micros,
        procedural,
    )


async def set_task(conn: Db, tenant_id: str, generation_id: str, *, task_id: str, attempts: int) -> None:
    await conn.execute(
        "UPDATE generations SET provider_task_id = $3, attempts = $4 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        generation_id,
        task_id,
        attempts,
    )


async def succeed(
    conn: Db, tenant_id: str, generation_id: str, *, cost_micros: int, video_key: str, asset_id: str, attempts: int
) -> None:
    await conn.execute(
        """UPDATE generations SET status = 'succeeded', cost_micros = $3, video_key = $4, asset_id = $5,
                  attempts = $6, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        generation_id,
        cost_micros,
        video_key,
        asset_id,
        attempts,
    )


async def finish_unsuccessfully(
    conn: Db, tenant_id: str, generation_id: str, *, status: str, code: str, message: str, cost_micros: int = 0
) -> bool:
    """Fail or cancel an open generation; False when it had ended already."""
    done = await conn.execute(
        """UPDATE generations SET status = $3, error_code = $4, error_message = $5, cost_micros = $6,
                  completed_at = now()
           WHERE tenant_id = $1 AND id = $2 AND status = ANY($7)""",
        tenant_id,
        generation_id,
        status,
        code,
        message,
        cost_micros,
        list(OPEN),
    )
    return bool(done == "UPDATE 1")
