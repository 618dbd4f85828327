"""API keys of a tenant: list, create, revoke, rotate."""

from __future__ import annotations

import asyncpg

from reelforge_common.db.connection import Connection
from reelforge_gateway.api.schemas import ApiKey, ApiKeyWithSecret
from reelforge_gateway.keys import Scope, generate_key
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.store import tenants
from reelforge_gateway.store.tenants import StoredKey


def _public(key: StoredKey) -> ApiKey:
    return ApiKey(
        id=key.id,
        name=key.name,
        scopes=[Scope(s) for s in key.scopes],
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


async def issue_key(
    conn: Connection | asyncpg.Pool, *, tenant_id: str, name: str, scopes: list[Scope]
) -> ApiKeyWithSecret:
    """Create a key; its token is in the result only."""
    new = generate_key()
    stored = await tenants.insert_key(
        conn,
        key_id=new.key_id,
        tenant_id=tenant_id,
        name=name,
        scopes=[s.value for s in scopes],
        secret_sha256=new.secret_sha256,
    )
    return ApiKeyWithSecret(**_public(stored).model_dump(), token=new.token)


async def list_keys(pool: asyncpg.Pool, *, tenant_id: str) -> list[ApiKey]:
    """Every key of the tenant, revoked ones included; secrets are never shown again."""
    return [_public(key) for key in await tenants.list_keys(pool, tenant_id=tenant_id)]


async def revoke_key(pool: asyncpg.Pool, *, tenant_id: str, key_id: str) -> None:
    """Revoke a key at once. Another tenant's key, or one already revoked, is not found."""
    if not await tenants.revoke_key(pool, tenant_id=tenant_id, key_id=key_id):
        raise ProblemError("not_found", f"no live key {key_id}")


async def rotate_key(pool: asyncpg.Pool, *, tenant_id: str, key_id: str) -> ApiKeyWithSecret:
    """Replace a key by a new one with the same name and scopes; the old one is revoked."""
    async with pool.acquire() as conn, conn.transaction():
        old = await tenants.get_key(conn, key_id)
        if (
            old is None
            or old.tenant_id != tenant_id
            or not await tenants.revoke_key(conn, tenant_id=tenant_id, key_id=key_id)
        ):
            raise ProblemError("not_found", f"no live key {key_id}")
        return await issue_key(conn, tenant_id=tenant_id, name=old.name, scopes=[Scope(scope) for scope in old.scopes])
