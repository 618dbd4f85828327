"""What happens to a ``/v1`` request before its route: who is calling, the
tenant's rate limit, and ``Idempotency-Key``.

The caller is identified once here and handed to the route's scope check
(``deps.require``) through ``request.state``. A request without a valid key
passes through untouched: its route answers 401. The operator is not rate
limited.
"""

from __future__ import annotations

import asyncpg
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from reelforge_gateway.api.deps import identify
from reelforge_gateway.api.idempotency import IdempotentRequests, key_of
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.keys import is_operator
from reelforge_gateway.problems import ProblemError, problem_response
from reelforge_gateway.rate_limits import admit_request

OPERATOR = "operator"


class Admission:
    """Pure ASGI middleware, so streamed uploads and event streams pass through unbuffered."""

    def __init__(self, app: ASGIApp, *, pool: asyncpg.Pool, settings: GatewaySettings) -> None:
        self._app = app
        self._pool = pool
        self._settings = settings
        self._idempotent = IdempotentRequests(pool, ttl_s=settings.idempotency_ttl_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        owner = await self._owner(scope, headers.get("authorization", ""))
        if owner is not None and owner != OPERATOR:
            try:
                await admit_request(self._pool, self._settings, owner)
            except ProblemError as refusal:
                await problem_response(refusal.code, refusal.detail, refusal.headers)(scope, receive, send)
                return
        header = headers.get("idempotency-key")
        if owner is None or scope["method"] != "POST" or header is None:
            await self._app(scope, receive, send)
            return
        key = key_of(header)
        if key is None:
            await problem_response("validation_failed", "Idempotency-Key must be 1 to 255 visible ASCII characters")(
                scope, receive, send
            )
            return
        await self._idempotent.handle(self._app, owner, key, scope, receive, send)

    async def _owner(self, scope: Scope, authorization: str) -> str | None:
        """The tenant calling (remembered for the route), the operator, or None."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        if is_operator(self._settings.operator_token.get_secret_value(), token):
            return OPERATOR
        try:
            caller = await identify(self._pool, token)
        except ProblemError:
            return None
        scope.setdefault("state", {})["caller"] = caller
        return caller.tenant_id
