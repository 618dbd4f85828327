"""SQL of tenants and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reelforge_common.db.connection import Connection


@dataclass(frozen=True)
class StoredKey:
    id: str
    tenant_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    secret_sha256: bytes


def _key(row: asyncpg.Record) -> StoredKey:
    return StoredKey(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        scopes=tuple(row["scopes"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        secret_sha256=bytes(row["secret_sha256"]),
    )


async def create_tenant(conn: Connection, *, tenant_id: str, name: str) -> datetime | None:
    """Insert a tenant; None when the name is taken."""
    created: datetime | None = await conn.fetchval(
        "INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING created_at",
        tenant_id,
        name,
    )
    return created


async def list_tenants(conn: Connection | asyncpg.Pool) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, name, created_at FROM tenants ORDER BY created_at, id")


async def insert_key(
    conn: Connection | asyncpg.Pool,
    *,
    key_id: str,
    tenant_id: str,
    name: str,
    scopes: list[str],
    secret_sha256: bytes,
) -> StoredKey:
    row = await conn.fetchrow(
        """INSERT INTO api_keys (id, tenant_id, name, scopes, secret_sha256)
           VALUES ($1, $2, $3, $4, $5) RETURNING *""",
        key_id,
        tenant_id,
        name,
        scopes,
        secret_sha256,
    )
    assert row is not None
    return _key(row)


async def get_key(conn: Connection | asyncpg.Pool, key_id: str) -> StoredKey | None:
    row = await conn.fetchrow("SELECT * FROM api_keys WHERE id = $1", key_id)
    return _key(row) if row is not None else None


async def list_keys(conn: Connection | asyncpg.Pool, *, tenant_id: str) -> list[StoredKey]:
    rows = await conn.fetch("SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id", tenant_id)
    return [_key(row) for row in rows]


async def revoke_key(conn: Connection | asyncpg.Pool, *, tenant_id: str, key_id: str) -> bool:
    """Revoke one of the tenant's keys; False if the tenant has no such live key."""
    status: str = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL",
        key_id,
        tenant_id,
    )
    return status.endswith(" 1")
