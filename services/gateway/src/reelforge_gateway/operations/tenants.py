"""Operator operations: tenants."""

from __future__ import annotations

import secrets

import asyncpg

from reelforge_gateway.api.schemas import Tenant, TenantWithKey
from reelforge_gateway.keys import Scope
from reelforge_gateway.operations.keys import issue_key
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.store import tenants


async def create_tenant(pool: asyncpg.Pool, *, name: str) -> TenantWithKey:
    """A new tenant and its first API key (all scopes)."""
    tenant_id = "t_" + secrets.token_hex(8)
    async with pool.acquire() as conn, conn.transaction():
        created_at = await tenants.create_tenant(conn, tenant_id=tenant_id, name=name)
        if created_at is None:
            raise ProblemError("conflict", f"a tenant named {name!r} exists")
    key = await issue_key(pool, tenant_id=tenant_id, name="initial", scopes=list(Scope))
    return TenantWithKey(tenant=Tenant(id=tenant_id, name=name, created_at=created_at), api_key=key)


async def list_tenants(pool: asyncpg.Pool) -> list[Tenant]:
    return [Tenant(**dict(row)) for row in await tenants.list_tenants(pool)]
