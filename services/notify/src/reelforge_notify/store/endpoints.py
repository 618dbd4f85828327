"""Webhook endpoints and their signing secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class EndpointRow:
    tenant_id: str
    id: str
    url: str
    description: str
    event_types: list[str]
    job_kinds: list[str]
    enabled: bool
    disabled_reason: str
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = ", ".join(EndpointRow.__dataclass_fields__)


def _row(record: asyncpg.Record | None) -> EndpointRow | None:
    return EndpointRow(**dict(record)) if record else None


async def create(
    conn: Db,
    *,
    tenant_id: str,
    endpoint_id: str,
    url: str,
    description: str,
    event_types: list[str],
    job_kinds: list[str],
    enabled: bool,
    secret: str,
) -> EndpointRow:
    record = await conn.fetchrow(
        f"""INSERT INTO endpoints (tenant_id, id, url, description, event_types, job_kinds, enabled,
                                   disabled_reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 THEN '' ELSE 'tenant' END)
            RETURNING {_COLUMNS}""",
        tenant_id,
        endpoint_id,
        url,
        description,
        event_types,
        job_kinds,
        enabled,
    )
    await add_secret(conn, tenant_id=tenant_id, endpoint_id=endpoint_id, secret=secret)
    endpoint = _row(record)
    assert endpoint is not None
    return endpoint


async def get(conn: Db, tenant_id: str, endpoint_id: str) -> EndpointRow | None:
    return _row(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM endpoints WHERE tenant_id = $1 AND id = $2", tenant_id, endpoint_id
        )
    )


async def page(conn: Db, tenant_id: str, *, limit: int, after: tuple[datetime, str] | None) -> list[EndpointRow]:
    """Newest first, after the keyset position ``after``."""
    if after is None:
        records = await conn.fetch(
            f"SELECT {_COLUMNS} FROM endpoints WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            tenant_id,
            limit,
        )
    else:
        records = await conn.fetch(
            f"""SELECT {_COLUMNS} FROM endpoints WHERE tenant_id = $1 AND (created_at, id) < ($2, $3)
                ORDER BY created_at DESC, id DESC LIMIT $4""",
            tenant_id,
            *after,
            limit,
        )
    return [EndpointRow(**dict(r)) for r in records]


async def matching(conn: Db, tenant_id: str, *, event_type: str, job_kind: str) -> list[EndpointRow]:
    """The tenant's enabled endpoints whose filters let the message through."""
    records = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM endpoints
            WHERE tenant_id = $1 AND enabled
              AND (cardinality(event_types) = 0 OR $2 = ANY (event_types))
              AND (cardinality(job_kinds) = 0 OR $3 = '' OR $3 = ANY (job_kinds))""",
        tenant_id,
        event_type,
        job_kind,
    )
    return [EndpointRow(**dict(r)) for r in records]


async def update(
    conn: Db,
    tenant_id: str,
    endpoint_id: str,
    *,
    url: str | None,
    description: str | None,
    event_types: list[str] | None,
    job_kinds: list[str] | None,
    enabled: bool | None,
) -> EndpointRow | None:
    """Change the fields given; enabling clears the failure state, disabling records the tenant did it."""
    record = await conn.fetchrow(
        f"""UPDATE endpoints SET
                url = coalesce($3, url),
                description = coalesce($4, description),
                event_types = coalesce($5, event_types),
                job_kinds = coalesce($6, job_kinds),
                enabled = coalesce($7, enabled),
                disabled_reason = CASE WHEN $7 IS NULL THEN disabled_reason WHEN $7 THEN '' ELSE 'tenant' END,
                failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END,
                updated_at = now()
            WHERE tenant_id = $1 AND id = $2
            RETURNING {_COLUMNS}""",
        tenant_id,
        endpoint_id,
        url,
        description,
        event_types,
        job_kinds,
        enabled,
    )
    return _row(record)


async def delete(conn: Db, tenant_id: str, endpoint_id: str) -> bool:
    await conn.execute(
        "DELETE FROM attempts WHERE tenant_id = $1 AND delivery_id IN "
        "(SELECT id FROM deliveries WHERE tenant_id = $1 AND endpoint_id = $2)",
        tenant_id,
        endpoint_id,
    )
    status = await conn.execute("DELETE FROM endpoints WHERE tenant_id = $1 AND id = $2", tenant_id, endpoint_id)
    return status.endswith(" 1")


async def add_secret(conn: Db, *, tenant_id: str, endpoint_id: str, secret: str) -> None:
    await conn.execute(
        "INSERT INTO endpoint_secrets (tenant_id, endpoint_id, secret) VALUES ($1, $2, $3)",
        tenant_id,
        endpoint_id,
        secret,
    )


async def rotate_secret(conn: Db, *, tenant_id: str, endpoint_id: str, secret: str, grace_s: float) -> None:
    """``secret`` signs from now on; the live ones keep signing for ``grace_s`` more."""
    await conn.execute(
        """UPDATE endpoint_secrets SET expires_at = now() + make_interval(secs => $3)
           WHERE tenant_id = $1 AND endpoint_id = $2 AND expires_at IS NULL""",
        tenant_id,
        endpoint_id,
        grace_s,
    )
    await conn.execute(
        "DELETE FROM endpoint_secrets WHERE tenant_id = $1 AND endpoint_id = $2 AND expires_at <= now()",
        tenant_id,
        endpoint_id,
    )
    await add_secret(conn, tenant_id=tenant_id, endpoint_id=endpoint_id, secret=secret)


async def mark_healthy(conn: Db, tenant_id: str, endpoint_id: str) -> None:
    await conn.execute(
        "UPDATE endpoints SET failing_since = NULL WHERE tenant_id = $1 AND id = $2 AND failing_since IS NOT NULL",
        tenant_id,
        endpoint_id,
    )


async def mark_failing(conn: Db, tenant_id: str, endpoint_id: str) -> datetime | None:
    """Record a failure; returns since when the endpoint has been failing (None if it is gone)."""
    since: datetime | None = await conn.fetchval(
        """UPDATE endpoints SET failing_since = coalesce(failing_since, now())
           WHERE tenant_id = $1 AND id = $2 RETURNING failing_since""",
        tenant_id,
        endpoint_id,
    )
    return since


async def disable(conn: Db, tenant_id: str, endpoint_id: str, *, reason: str) -> bool:
    """Disable an enabled endpoint (its pending deliveries fail, to be replayed
    once it works again); False when it was not enabled."""
    status = await conn.execute(
        """UPDATE endpoints SET enabled = false, disabled_reason = $3, updated_at = now()
           WHERE tenant_id = $1 AND id = $2 AND enabled""",
        tenant_id,
        endpoint_id,
        reason,
    )
    if not status.endswith(" 1"):
        return False
    await conn.execute(
        """UPDATE deliveries SET status = 'failed', last_error = 'the endpoint was disabled', lease_until = NULL,
                                 updated_at = now()
           WHERE tenant_id = $1 AND endpoint_id = $2 AND status = 'pending'""",
        tenant_id,
        endpoint_id,
    )
    return True
