"""Operator endpoints: tenants."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, status

from reelforge_gateway.api.deps import Operator, Pool
from reelforge_gateway.api.keys import issue_key
from reelforge_gateway.api.schemas import Tenant, TenantCreate, TenantWithKey
from reelforge_gateway.keys import Scope
from reelforge_gateway.problems import ProblemError, documented
from reelforge_gateway.store import tenants

router = APIRouter(prefix="/v1/admin", tags=["operator"], responses=documented("unauthenticated"))


@router.post("/tenants", status_code=status.HTTP_201_CREATED, responses=documented("conflict", "validation_failed"))
async def create_tenant(body: TenantCreate, _: Operator, pool: Pool) -> TenantWithKey:
    """A new tenant and its first API key (all scopes), shown once."""
    tenant_id = "t_" + secrets.token_hex(8)
    async with pool.acquire() as conn, conn.transaction():
        created_at = await tenants.create_tenant(conn, tenant_id=tenant_id, name=body.name)
        if created_at is None:
            raise ProblemError("conflict", f"a tenant named {body.name!r} exists")
    key = await issue_key(pool, tenant_id=tenant_id, name="initial", scopes=list(Scope))
    return TenantWithKey(tenant=Tenant(id=tenant_id, name=body.name, created_at=created_at), api_key=key)


@router.get("/tenants")
async def list_tenants(_: Operator, pool: Pool) -> list[Tenant]:
    return [Tenant(**dict(row)) for row in await tenants.list_tenants(pool)]
