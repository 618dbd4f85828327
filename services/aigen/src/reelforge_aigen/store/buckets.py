"""Token buckets by key, shared by every replica (one statement per take:
the row lock serialises replicas, and the database's clock is the only one)."""

from __future__ import annotations

from reelforge_common.db.connection import Executor as Db

_REFILLED = "least($3, b.tokens + $2 * extract(epoch FROM now() - b.refilled_at)::float8)"
_TAKE = f"""
INSERT INTO rate_buckets AS b (key, tokens, refilled_at) VALUES ($1, $3 - 1, now())
ON CONFLICT (key) DO UPDATE SET tokens = {_REFILLED} - 1, refilled_at = now()
    WHERE {_REFILLED} >= 1
RETURNING tokens
"""
_WAIT = """
SELECT (1 - least($3, tokens + $2 * extract(epoch FROM now() - refilled_at)::float8)) / $2
FROM rate_buckets WHERE key = $1
"""


async def take(conn: Db, key: str, *, rate_per_s: float, burst: int) -> float | None:
    """Take a token: None when granted, else the seconds until one is back."""
    if await conn.fetchval(_TAKE, key, rate_per_s, burst) is not None:
        return None
    wait = await conn.fetchval(_WAIT, key, rate_per_s, burst)
    return max(float(wait or 0.0), 0.0)
