"""Who is calling an RPC: the ``authorization`` metadata, checked by the same
functions as REST's ``Authorization`` header."""

from __future__ import annotations

import asyncpg
import grpc

from reelforge_gateway.api.deps import Caller, authenticate
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.keys import Scope, is_operator
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.rate_limits import admit_request


def bearer_token(context: grpc.aio.ServicerContext) -> str | None:
    """The token of the call's ``authorization: Bearer <token>`` metadata, if any."""
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class Authenticator:
    """Admits the callers of the public gRPC API."""

    def __init__(self, pool: asyncpg.Pool, settings: GatewaySettings) -> None:
        self._pool = pool
        self._settings = settings

    async def caller_of(self, context: grpc.aio.ServicerContext, scope: Scope) -> Caller:
        """The tenant's caller behind the call's API key, if the key has
        ``scope`` and the tenant is within its rate limit (the bucket REST
        requests draw on too). Every tenant RPC is admitted here, and only here."""
        caller = await authenticate(self._pool, bearer_token(context), scope)
        await admit_request(self._pool, self._settings, caller.tenant_id)
        return caller

    def require_operator(self, context: grpc.aio.ServicerContext) -> None:
        """Refuse the call unless it carries the operator token."""
        if not is_operator(self._settings.operator_token.get_secret_value(), bearer_token(context)):
            raise ProblemError("unauthenticated", "this call needs the operator token")
