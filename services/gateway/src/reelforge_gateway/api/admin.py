"""Operator endpoints: tenants."""

from __future__ import annotations

from fastapi import APIRouter, status

from reelforge_gateway.api.deps import Operator, Pool
from reelforge_gateway.api.schemas import Tenant, TenantCreate, TenantWithKey
from reelforge_gateway.operations import tenants
from reelforge_gateway.problems import documented

router = APIRouter(prefix="/v1/admin", tags=["operator"], responses=documented("unauthenticated"))


@router.post("/tenants", status_code=status.HTTP_201_CREATED, responses=documented("conflict", "validation_failed"))
async def create_tenant(body: TenantCreate, _: Operator, pool: Pool) -> TenantWithKey:
    """A new tenant and its first API key (all scopes), shown once."""
    return await tenants.create_tenant(pool, name=body.name)


@router.get("/tenants")
async def list_tenants(_: Operator, pool: Pool) -> list[Tenant]:
    return await tenants.list_tenants(pool)
