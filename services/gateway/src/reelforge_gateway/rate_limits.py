"""Per-tenant request rate limits, the same for REST and gRPC."""

from __future__ import annotations

import math

import asyncpg

from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.store.rate_limits import take_token


async def admit_request(pool: asyncpg.Pool, settings: GatewaySettings, tenant_id: str) -> None:
    """Take a token from the tenant's bucket, or refuse with ``rate_limited`` and a ``Retry-After``."""
    wait = await take_token(
        pool, tenant_id, default_rate=settings.rate_limit_per_s, default_burst=settings.rate_limit_burst
    )
    if wait is not None:
        retry_after = str(max(1, math.ceil(wait)))
        raise ProblemError(
            "rate_limited",
            f"the tenant's request rate limit is reached; retry in {retry_after} s",
            headers={"Retry-After": retry_after},
        )
