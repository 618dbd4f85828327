"""``reelforge.api.v1.ApiKeys`` (a tenant's keys) and ``Admin`` (the operator's tenants)."""

from __future__ import annotations

import asyncpg
import grpc
from google.protobuf import empty_pb2

from reelforge.api.v1 import admin_pb2, admin_pb2_grpc, keys_pb2, keys_pb2_grpc
from reelforge_gateway.api.schemas import ApiKeyCreate, TenantCreate
from reelforge_gateway.grpc_api import messages
from reelforge_gateway.grpc_api.auth import Authenticator
from reelforge_gateway.grpc_api.errors import answers_problems, validated
from reelforge_gateway.keys import Scope
from reelforge_gateway.operations import keys, tenants


class ApiKeysService(keys_pb2_grpc.ApiKeysServicer):
    def __init__(self, auth: Authenticator, pool: asyncpg.Pool) -> None:
        self._auth = auth
        self._pool = pool

    @answers_problems
    async def ListApiKeys(
        self, request: keys_pb2.ListApiKeysRequest, context: grpc.aio.ServicerContext
    ) -> keys_pb2.ListApiKeysResponse:
        caller = await self._auth.caller_of(context, Scope.ADMIN)
        listed = await keys.list_keys(self._pool, tenant_id=caller.tenant_id)
        return keys_pb2.ListApiKeysResponse(keys=[messages.api_key(key) for key in listed])

    @answers_problems
    async def CreateApiKey(
        self, request: keys_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> keys_pb2.ApiKeyWithToken:
        caller = await self._auth.caller_of(context, Scope.ADMIN)
        # No scopes means REST's default (read and write), as when REST's field is left out.
        optional = {"scopes": messages.scope_names(request.scopes)} if request.scopes else {}
        body = validated(ApiKeyCreate, name=request.name, **optional)
        created = await keys.issue_key(self._pool, tenant_id=caller.tenant_id, name=body.name, scopes=body.scopes)
        return messages.api_key_with_token(created)

    @answers_problems
    async def RevokeApiKey(
        self, request: keys_pb2.RevokeApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        caller = await self._auth.caller_of(context, Scope.ADMIN)
        await keys.revoke_key(self._pool, tenant_id=caller.tenant_id, key_id=request.key_id)
        return empty_pb2.Empty()

    @answers_problems
    async def RotateApiKey(
        self, request: keys_pb2.RotateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> keys_pb2.ApiKeyWithToken:
        caller = await self._auth.caller_of(context, Scope.ADMIN)
        rotated = await keys.rotate_key(self._pool, tenant_id=caller.tenant_id, key_id=request.key_id)
        return messages.api_key_with_token(rotated)


class AdminService(admin_pb2_grpc.AdminServicer):
    def __init__(self, auth: Authenticator, pool: asyncpg.Pool) -> None:
        self._auth = auth
        self._pool = pool

    @answers_problems(conflict=grpc.StatusCode.ALREADY_EXISTS)
    async def CreateTenant(
        self, request: admin_pb2.CreateTenantRequest, context: grpc.aio.ServicerContext
    ) -> admin_pb2.TenantWithKey:
        self._auth.require_operator(context)
        body = validated(TenantCreate, name=request.name)
        return messages.tenant_with_key(await tenants.create_tenant(self._pool, name=body.name))

    @answers_problems
    async def ListTenants(
        self, request: admin_pb2.ListTenantsRequest, context: grpc.aio.ServicerContext
    ) -> admin_pb2.ListTenantsResponse:
        self._auth.require_operator(context)
        return admin_pb2.ListTenantsResponse(
            tenants=[messages.tenant(tenant) for tenant in await tenants.list_tenants(self._pool)]
        )
