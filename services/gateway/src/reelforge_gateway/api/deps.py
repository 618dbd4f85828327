"""Dependencies of the API: the database and who is calling.

Every dependency is ``async``: FastAPI runs a plain function in a worker
thread, a hop that costs more than these lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import (
    AigenClient,
    IngestClient,
    InternalClients,
    NotifyClient,
    PoseClient,
    RenderClient,
    TranscriptionClient,
)
from reelforge_gateway.keys import Scope, is_operator, parse_token, secret_matches
from reelforge_gateway.live import JobFeed
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.store.tenants import get_key

_bearer = HTTPBearer(auto_error=False, description="An API key, rf_<key id>_<secret>")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


Pool = Annotated[asyncpg.Pool, Depends(_pool)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@dataclass(frozen=True)
class Caller:
    """The tenant and key behind a request."""

    tenant_id: str
    key_id: str
    scopes: frozenset[str]


async def identify(pool: asyncpg.Pool, token: str | None) -> Caller:
    """The caller behind an API key (``rf_<key id>_<secret>``), whatever its scopes."""
    if token is None:
        raise ProblemError("unauthenticated", "send Authorization: Bearer rf_<key id>_<secret>", headers=_CHALLENGE)
    parsed = parse_token(token)
    key = await get_key(pool, parsed[0]) if parsed else None
    if parsed is None or key is None or key.revoked_at is not None or not secret_matches(parsed[1], key.secret_sha256):
        raise ProblemError("unauthenticated", "the API key is unknown, revoked or malformed", headers=_CHALLENGE)
    return Caller(tenant_id=key.tenant_id, key_id=key.id, scopes=frozenset(key.scopes))


def _check_scope(caller: Caller, scope: Scope) -> Caller:
    if scope not in caller.scopes:
        raise ProblemError("forbidden", f"this operation needs the '{scope}' scope")
    return caller


async def authenticate(pool: asyncpg.Pool, token: str | None, scope: Scope) -> Caller:
    """The caller behind an API key, if its key has ``scope``."""
    return _check_scope(await identify(pool, token), scope)


def require(scope: Scope) -> object:
    """A dependency admitting callers whose key has ``scope`` (identified
    already by the admission middleware, else here)."""

    async def check(request: Request, pool: Pool, credentials: Credentials) -> Caller:
        known: Caller | None = getattr(request.state, "caller", None)
        if known is not None:
            return _check_scope(known, scope)
        return await authenticate(pool, credentials.credentials if credentials else None, scope)

    return Depends(check)


Reader = Annotated[Caller, require(Scope.READ)]
Writer = Annotated[Caller, require(Scope.WRITE)]
Admin = Annotated[Caller, require(Scope.ADMIN)]


async def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def _clients(request: Request) -> InternalClients:
    clients: InternalClients = request.app.state.clients
    return clients


async def _ingest(request: Request) -> IngestClient:
    return _clients(request).ingest


async def _transcription(request: Request) -> TranscriptionClient:
    return _clients(request).transcription


async def _pose(request: Request) -> PoseClient:
    return _clients(request).pose


async def _feed(request: Request) -> JobFeed:
    feed: JobFeed = request.app.state.feed
    return feed


Settings = Annotated[GatewaySettings, Depends(_settings)]
Ingest = Annotated[IngestClient, Depends(_ingest)]
Transcription = Annotated[TranscriptionClient, Depends(_transcription)]
Pose = Annotated[PoseClient, Depends(_pose)]


async def _render(request: Request) -> RenderClient:
    return _clients(request).render


Render = Annotated[RenderClient, Depends(_render)]


async def _notify(request: Request) -> NotifyClient:
    return _clients(request).notify


Notify = Annotated[NotifyClient, Depends(_notify)]


async def _aigen(request: Request) -> AigenClient:
    return _clients(request).aigen


Aigen = Annotated[AigenClient, Depends(_aigen)]


async def _all_clients(request: Request) -> InternalClients:
    return _clients(request)


Clients = Annotated[InternalClients, Depends(_all_clients)]
Feed = Annotated[JobFeed, Depends(_feed)]


async def _operator(request: Request, credentials: Credentials) -> None:
    expected = request.app.state.settings.operator_token.get_secret_value()
    if not is_operator(expected, credentials.credentials if credentials else None):
        raise ProblemError("unauthenticated", "this endpoint needs the operator token", headers=_CHALLENGE)


Operator = Annotated[None, Depends(_operator)]
