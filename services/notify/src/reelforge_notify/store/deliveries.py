"""Messages, their deliveries to endpoints, and the attempt log.

A delivery is a small queue entry: pending until it succeeds or runs out of
attempts. A replica claims due deliveries with a lease (``FOR UPDATE SKIP
LOCKED``, so replicas share the work); one that dies mid-delivery leaves the
lease to expire and another replica tries again with the same message id.
The claim's attempt number is its token: a late answer from a replica whose
lease ran out changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reelforge_common.db.connection import Executor as Db
from reelforge_notify.messages import Message


@dataclass(frozen=True)
class DeliveryRow:
    tenant_id: str
    id: str
    endpoint_id: str
    message_id: str
    event_type: str
    status: str
    attempts: int
    scheduled: int
    next_attempt_at: datetime
    last_status_code: int
    last_error: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AttemptRow:
    attempt: int
    started_at: datetime
    status_code: int
    latency_ms: float
    error: str
    response_excerpt: str


@dataclass(frozen=True)
class Claim:
    """A delivery this replica may attempt now."""

    tenant_id: str
    id: str
    endpoint_id: str
    message_id: str
    attempts: int  # including this one
    scheduled: int  # attempts of the current schedule, this one included
    url: str
    payload: str
    secrets: list[str]


_COLUMNS = ", ".join(DeliveryRow.__dataclass_fields__)
_D_COLUMNS = ", ".join(f"d.{c}" for c in DeliveryRow.__dataclass_fields__)


def _row(record: asyncpg.Record | None) -> DeliveryRow | None:
    return DeliveryRow(**dict(record)) if record else None


async def add_message(conn: Db, tenant_id: str, message: Message) -> bool:
    """Store a message once; False if it was stored before."""
    status = await conn.execute(
        """INSERT INTO messages (tenant_id, id, event_type, job_id, payload) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING""",
        tenant_id,
        message.id,
        message.event_type,
        message.job_id,
        message.payload,
    )
    return status.endswith(" 1")


async def add(conn: Db, tenant_id: str, endpoint_id: str, message: Message) -> DeliveryRow | None:
    """Queue a message to an endpoint, due now (once per endpoint and message)."""
    record = await conn.fetchrow(
        f"""INSERT INTO deliveries (tenant_id, id, endpoint_id, message_id, event_type)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING {_COLUMNS}""",
        tenant_id,
        "dlv_" + uuid.uuid4().hex,
        endpoint_id,
        message.id,
        message.event_type,
    )
    return _row(record)


async def claim(conn: Db, *, limit: int, lease_s: float) -> list[Claim]:
    """Due deliveries to enabled endpoints, leased to this replica for ``lease_s``."""
    records = await conn.fetch(
        """WITH due AS (
               SELECT d.tenant_id, d.id FROM deliveries d
               JOIN endpoints e ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id AND e.enabled
               WHERE d.status = 'pending' AND d.next_attempt_at <= now()
                 AND (d.lease_until IS NULL OR d.lease_until <= now())
               ORDER BY d.next_attempt_at
               LIMIT $1
               FOR UPDATE OF d SKIP LOCKED)
           UPDATE deliveries d
           SET lease_until = now() + make_interval(secs => $2), attempts = d.attempts + 1,
               scheduled = d.scheduled + 1, updated_at = now()
           FROM due, endpoints e, messages m
           WHERE d.tenant_id = due.tenant_id AND d.id = due.id
             AND e.tenant_id = d.tenant_id AND e.id = d.endpoint_id
             AND m.tenant_id = d.tenant_id AND m.id = d.message_id
           RETURNING d.tenant_id, d.id, d.endpoint_id, d.message_id, d.attempts, d.scheduled, e.url, m.payload,
               ARRAY(SELECT s.secret FROM endpoint_secrets s
                     WHERE s.tenant_id = d.tenant_id AND s.endpoint_id = d.endpoint_id
                       AND (s.expires_at IS NULL OR s.expires_at > now())
                     ORDER BY s.created_at DESC) AS secrets""",
        limit,
        lease_s,
    )
    return [Claim(**dict(r)) for r in records]


async def next_due_in(conn: Db) -> float | None:
    """Seconds until the next delivery is due (or its lease ends); None if none is pending."""
    seconds: float | None = await conn.fetchval(
        """SELECT extract(epoch FROM min(greatest(next_attempt_at, coalesce(lease_until, next_attempt_at))) - now())
           FROM deliveries d
           WHERE status = 'pending'
             AND EXISTS (SELECT 1 FROM endpoints e
                         WHERE e.tenant_id = d.tenant_id AND e.id = d.endpoint_id AND e.enabled)"""
    )
    return None if seconds is None else float(seconds)


async def record_attempt(conn: Db, claimed: Claim, attempt: AttemptRow) -> None:
    await conn.execute(
        """INSERT INTO attempts (tenant_id, delivery_id, attempt, started_at, status_code, latency_ms, error,
                                 response_excerpt)
           SELECT $1::text, $2::text, $3::int, $4::timestamptz, $5::int, $6::float8, $7::text, $8::text
           WHERE EXISTS (SELECT 1 FROM deliveries WHERE tenant_id = $1 AND id = $2)  -- not deleted meanwhile
           ON CONFLICT DO NOTHING""",
        claimed.tenant_id,
        claimed.id,
        attempt.attempt,
        attempt.started_at,
        attempt.status_code,
        attempt.latency_ms,
        attempt.error,
        attempt.response_excerpt,
    )


async def settle(
    conn: Db, claimed: Claim, *, status: str, status_code: int, error: str, retry_in_s: float | None = None
) -> bool:
    """End the claimed attempt: ``succeeded``, ``failed``, or ``pending`` again in
    ``retry_in_s``; False if the claim was lost (its lease ran out and another replica took it)."""
    result = await conn.execute(
        """UPDATE deliveries SET status = $4, last_status_code = $5, last_error = $6, lease_until = NULL,
               next_attempt_at = CASE WHEN $7::float8 IS NULL THEN next_attempt_at
                                      ELSE now() + make_interval(secs => $7::float8) END,
               updated_at = now()
           WHERE tenant_id = $1 AND id = $2 AND attempts = $3 AND status = 'pending'""",
        claimed.tenant_id,
        claimed.id,
        claimed.attempts,
        status,
        status_code,
        error,
        retry_in_s,
    )
    return result.endswith(" 1")


async def get(conn: Db, tenant_id: str, endpoint_id: str, delivery_id: str) -> DeliveryRow | None:
    return _row(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM deliveries WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3",
            tenant_id,
            endpoint_id,
            delivery_id,
        )
    )


async def payload(conn: Db, tenant_id: str, message_id: str) -> str:
    body: str = await conn.fetchval(
        "SELECT payload FROM messages WHERE tenant_id = $1 AND id = $2", tenant_id, message_id
    )
    return body


async def attempts(conn: Db, tenant_id: str, delivery_id: str) -> list[AttemptRow]:
    records = await conn.fetch(
        """SELECT attempt, started_at, status_code, latency_ms, error, response_excerpt FROM attempts
           WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY attempt""",
        tenant_id,
        delivery_id,
    )
    return [AttemptRow(**dict(r)) for r in records]


async def page(
    conn: Db, tenant_id: str, endpoint_id: str, *, status: str, limit: int, after: tuple[datetime, str] | None
) -> list[DeliveryRow]:
    """Newest first, optionally of one status, after the keyset position ``after``."""
    position = after or (None, None)
    records = await conn.fetch(
        f"""SELECT {_D_COLUMNS} FROM deliveries d
            WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND ($3 = '' OR d.status = $3)
              AND ($4::timestamptz IS NULL OR (d.created_at, d.id) < ($4, $5))
            ORDER BY d.created_at DESC, d.id DESC LIMIT $6""",
        tenant_id,
        endpoint_id,
        status,
        *position,
        limit,
    )
    return [DeliveryRow(**dict(r)) for r in records]


async def replay(conn: Db, tenant_id: str, endpoint_id: str, delivery_id: str) -> DeliveryRow | None:
    """Make a delivery due now with a fresh schedule (a pending one is only brought forward)."""
    return _row(
        await conn.fetchrow(
            f"""UPDATE deliveries SET status = 'pending', scheduled = 0, next_attempt_at = now(), lease_until = NULL,
                    updated_at = now()
                WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3 AND (status <> 'pending' OR lease_until IS NULL)
                RETURNING {_COLUMNS}""",
            tenant_id,
            endpoint_id,
            delivery_id,
        )
    )


async def replay_failed(conn: Db, tenant_id: str, endpoint_id: str, *, since: datetime) -> int:
    status = await conn.execute(
        """UPDATE deliveries SET status = 'pending', scheduled = 0, next_attempt_at = now(), lease_until = NULL,
               updated_at = now()
           WHERE tenant_id = $1 AND endpoint_id = $2 AND status = 'failed' AND created_at >= $3""",
        tenant_id,
        endpoint_id,
        since,
    )
    return int(status.rsplit(" ", 1)[1])
