"""SQL of Idempotency-Key records."""

from __future__ import annotations

import json
from dataclasses import dataclass

import asyncpg

from reelforge_common.db.connection import Connection

# Expired records removed each time a key is claimed: cleaning up is spread
# over the requests that add records.
_PRUNE_BATCH = 20


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Existing:
    """A live record found for the key: ``response`` is None while in flight."""

    fingerprint: bytes | None
    response: StoredResponse | None


async def claim(
    conn: Connection | asyncpg.Pool, *, owner: str, key: str, lease_s: float, ttl_s: float
) -> Existing | None:
    """Claim ``key`` for a new request (None), or return the live record that holds it.

    A record whose lease ran out while in flight, or whose time to live has
    passed, is taken over.
    """
    row = await conn.fetchrow(
        """
        INSERT INTO idempotency_records AS r (owner, key, lease_until, expires_at)
        VALUES ($1, $2, now() + make_interval(secs => $3), now() + make_interval(secs => $4))
        ON CONFLICT (owner, key) DO UPDATE
            SET fingerprint = NULL, lease_until = EXCLUDED.lease_until, response_status = NULL,
                response_headers = NULL, response_body = NULL, expires_at = EXCLUDED.expires_at
            WHERE r.expires_at < now() OR (r.response_status IS NULL AND r.lease_until < now())
        RETURNING true
        """,
        owner,
        key,
        lease_s,
        ttl_s,
    )
    if row is not None:
        await conn.execute(
            """DELETE FROM idempotency_records WHERE ctid IN (
                   SELECT ctid FROM idempotency_records WHERE expires_at < now() LIMIT $1)""",
            _PRUNE_BATCH,
        )
        return None
    existing = await conn.fetchrow(
        """SELECT fingerprint, response_status, response_headers, response_body
           FROM idempotency_records WHERE owner = $1 AND key = $2""",
        owner,
        key,
    )
    if existing is None:  # released between the two statements: try again
        return await claim(conn, owner=owner, key=key, lease_s=lease_s, ttl_s=ttl_s)
    if existing["response_status"] is None:
        return Existing(existing["fingerprint"], None)
    headers = [(name, value) for name, value in json.loads(existing["response_headers"])]
    return Existing(
        existing["fingerprint"], StoredResponse(existing["response_status"], headers, existing["response_body"])
    )


async def renew(conn: Connection | asyncpg.Pool, *, owner: str, key: str, lease_s: float) -> None:
    await conn.execute(
        """UPDATE idempotency_records SET lease_until = now() + make_interval(secs => $3)
           WHERE owner = $1 AND key = $2 AND response_status IS NULL""",
        owner,
        key,
        lease_s,
    )


async def complete(
    conn: Connection | asyncpg.Pool, *, owner: str, key: str, fingerprint: bytes, response: StoredResponse
) -> None:
    """Keep the first request's response to replay."""
    await conn.execute(
        """UPDATE idempotency_records
           SET fingerprint = $3, response_status = $4, response_headers = $5, response_body = $6
           WHERE owner = $1 AND key = $2""",
        owner,
        key,
        fingerprint,
        response.status,
        json.dumps(response.headers),
        response.body,
    )


async def release(conn: Connection | asyncpg.Pool, *, owner: str, key: str) -> None:
    """Forget an in-flight claim whose request gave no response worth replaying."""
    await conn.execute(
        "DELETE FROM idempotency_records WHERE owner = $1 AND key = $2 AND response_status IS NULL", owner, key
    )
