"""API keys of the caller's tenant (admin scope)."""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter, status

from reelforge_common.db.connection import Connection
from reelforge_gateway.api.deps import Admin, Pool
from reelforge_gateway.api.schemas import ApiKey, ApiKeyCreate, ApiKeyWithSecret
from reelforge_gateway.keys import Scope, generate_key
from reelforge_gateway.problems import ProblemError, documented
from reelforge_gateway.store import tenants
from reelforge_gateway.store.tenants import StoredKey

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"], responses=documented("unauthenticated", "forbidden"))


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


@router.get("")
async def list_keys(caller: Admin, pool: Pool) -> list[ApiKey]:
    """Every key of the tenant, revoked ones included; secrets are never shown again."""
    return [_public(key) for key in await tenants.list_keys(pool, tenant_id=caller.tenant_id)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=documented("validation_failed"))
async def create_key(body: ApiKeyCreate, caller: Admin, pool: Pool) -> ApiKeyWithSecret:
    """A new key for the tenant; its token is in this response only."""
    return await issue_key(pool, tenant_id=caller.tenant_id, name=body.name, scopes=body.scopes)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found"))
async def revoke_key(key_id: str, caller: Admin, pool: Pool) -> None:
    """Revoke a key at once. Another tenant's key, or one already revoked, is 404."""
    if not await tenants.revoke_key(pool, tenant_id=caller.tenant_id, key_id=key_id):
        raise ProblemError("not_found", f"no live key {key_id}")


@router.post("/{key_id}/rotate", status_code=status.HTTP_201_CREATED, responses=documented("not_found"))
async def rotate_key(key_id: str, caller: Admin, pool: Pool) -> ApiKeyWithSecret:
    """Replace a key by a new one with the same name and scopes; the old one is revoked."""
    async with pool.acquire() as conn, conn.transaction():
        old = await tenants.get_key(conn, key_id)
        if (
            old is None
            or old.tenant_id != caller.tenant_id
            or not await tenants.revoke_key(conn, tenant_id=caller.tenant_id, key_id=key_id)
        ):
            raise ProblemError("not_found", f"no live key {key_id}")
        return await issue_key(
            conn, tenant_id=caller.tenant_id, name=old.name, scopes=[Scope(scope) for scope in old.scopes]
        )
