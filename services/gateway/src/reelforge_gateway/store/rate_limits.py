"""SQL of the per-tenant token buckets."""

from __future__ import annotations

import asyncpg

from reelforge_common.db.connection import Connection

# The bucket refills at `rate` tokens a second up to `burst`; a request takes
# one token. Refused requests take none. One statement, so replicas sharing
# the row serialise on its lock and never both spend the last token, and a
# refusal costs no second round trip: `wait` reads the row as the statement
# found it (unchanged when refused).
_REFILLED = "least(EXCLUDED.burst, b.tokens + EXCLUDED.rate * extract(epoch FROM now() - b.refilled_at)::float8)"
_TAKE = f"""
WITH taken AS (
    INSERT INTO rate_buckets AS b (tenant_id, tokens, refilled_at, rate, burst)
    SELECT t.id, coalesce(t.rate_limit_burst, $3) - 1, now(),
           coalesce(t.rate_limit_per_s, $2), coalesce(t.rate_limit_burst, $3)
    FROM tenants t WHERE t.id = $1
    ON CONFLICT (tenant_id) DO UPDATE
        SET tokens = {_REFILLED} - 1,
            refilled_at = now(),
            rate = EXCLUDED.rate,
            burst = EXCLUDED.burst
        WHERE {_REFILLED} >= 1
    RETURNING 1
)
SELECT EXISTS (SELECT FROM taken) AS granted,
       (SELECT (1 - least(burst, tokens + rate * extract(epoch FROM now() - refilled_at)::float8)) / rate
        FROM rate_buckets WHERE tenant_id = $1) AS wait
"""


async def take_token(
    conn: Connection | asyncpg.Pool, tenant_id: str, *, default_rate: float, default_burst: int
) -> float | None:
    """Take a token from the tenant's bucket: None when granted, else the
    seconds until one is available."""
    row = await conn.fetchrow(_TAKE, tenant_id, default_rate, default_burst)
    if row is None or row["granted"] or row["wait"] is None:  # no bucket: the tenant is gone, and its keys with it
        return None
    return max(float(row["wait"]), 0.0)
