"""API keys of the caller's tenant (admin scope)."""

from __future__ import annotations

from fastapi import APIRouter, status

from reelforge_gateway.api.deps import Admin, Pool
from reelforge_gateway.api.schemas import ApiKey, ApiKeyCreate, ApiKeyWithSecret
from reelforge_gateway.operations import keys
from reelforge_gateway.problems import documented

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"], responses=documented("unauthenticated", "forbidden"))


@router.get("")
async def list_keys(caller: Admin, pool: Pool) -> list[ApiKey]:
    """Every key of the tenant, revoked ones included; secrets are never shown again."""
    return await keys.list_keys(pool, tenant_id=caller.tenant_id)


@router.post("", status_code=status.HTTP_201_CREATED, responses=documented("validation_failed"))
async def create_key(body: ApiKeyCreate, caller: Admin, pool: Pool) -> ApiKeyWithSecret:
    """A new key for the tenant; its token is in this response only."""
    return await keys.issue_key(pool, tenant_id=caller.tenant_id, name=body.name, scopes=body.scopes)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found"))
async def revoke_key(key_id: str, caller: Admin, pool: Pool) -> None:
    """Revoke a key at once. Another tenant's key, or one already revoked, is 404."""
    await keys.revoke_key(pool, tenant_id=caller.tenant_id, key_id=key_id)


@router.post("/{key_id}/rotate", status_code=status.HTTP_201_CREATED, responses=documented("not_found"))
async def rotate_key(key_id: str, caller: Admin, pool: Pool) -> ApiKeyWithSecret:
    """Replace a key by a new one with the same name and scopes; the old one is revoked."""
    return await keys.rotate_key(pool, tenant_id=caller.tenant_id, key_id=key_id)
