"""Email settings of a tenant, and the emails waiting to be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class EmailSettingsRow:
    tenant_id: str
    address: str
    event_types: list[str]
    job_kinds: list[str]
    enabled: bool
    updated_at: datetime

    def wants(self, event_type: str, job_kind: str) -> bool:
        return (
            self.enabled
            and bool(self.address)
            and (not self.event_types or event_type in self.event_types)
            and (not self.job_kinds or job_kind in self.job_kinds)
        )


@dataclass(frozen=True)
class EmailClaim:
    tenant_id: str
    id: str
    to_address: str
    subject: str
    body: str
    attempts: int  # including this one


_SETTINGS = ", ".join(EmailSettingsRow.__dataclass_fields__)


def _settings(record: asyncpg.Record | None) -> EmailSettingsRow | None:
    return EmailSettingsRow(**dict(record)) if record else None


async def get_settings(conn: Db, tenant_id: str) -> EmailSettingsRow | None:
    return _settings(await conn.fetchrow(f"SELECT {_SETTINGS} FROM email_settings WHERE tenant_id = $1", tenant_id))


async def put_settings(
    conn: Db, tenant_id: str, *, address: str, event_types: list[str], job_kinds: list[str], enabled: bool
) -> EmailSettingsRow:
    record = await conn.fetchrow(
        f"""INSERT INTO email_settings (tenant_id, address, event_types, job_kinds, enabled)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant_id) DO UPDATE SET address = $2, event_types = $3, job_kinds = $4, enabled = $5,
                                                  updated_at = now()
            RETURNING {_SETTINGS}""",
        tenant_id,
        address,
        event_types,
        job_kinds,
        enabled,
    )
    settings = _settings(record)
    assert settings is not None
    return settings


async def queue(conn: Db, tenant_id: str, *, email_id: str, to_address: str, subject: str, body: str) -> None:
    """Queue an email once per ``email_id``."""
    await conn.execute(
        """INSERT INTO emails (tenant_id, id, to_address, subject, body) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING""",
        tenant_id,
        email_id,
        to_address,
        subject,
        body,
    )


async def claim(conn: Db, *, limit: int, lease_s: float) -> list[EmailClaim]:
    records = await conn.fetch(
        """WITH due AS (
               SELECT tenant_id, id FROM emails
               WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until <= now())
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           UPDATE emails m SET lease_until = now() + make_interval(secs => $2), attempts = m.attempts + 1
           FROM due WHERE m.tenant_id = due.tenant_id AND m.id = due.id
           RETURNING m.tenant_id, m.id, m.to_address, m.subject, m.body, m.attempts""",
        limit,
        lease_s,
    )
    return [EmailClaim(**dict(r)) for r in records]


async def next_due_in(conn: Db) -> float | None:
    seconds: float | None = await conn.fetchval(
        """SELECT extract(epoch FROM min(greatest(next_attempt_at, coalesce(lease_until, next_attempt_at))) - now())
           FROM emails WHERE status = 'pending'"""
    )
    return None if seconds is None else float(seconds)


async def settle(
    conn: Db, claimed: EmailClaim, *, status: str, error: str = "", retry_in_s: float | None = None
) -> None:
    await conn.execute(
        """UPDATE emails SET status = $4, last_error = $5, lease_until = NULL,
               next_attempt_at = CASE WHEN $6::float8 IS NULL THEN next_attempt_at
                                      ELSE now() + make_interval(secs => $6::float8) END
           WHERE tenant_id = $1 AND id = $2 AND attempts = $3 AND status = 'pending'""",
        claimed.tenant_id,
        claimed.id,
        claimed.attempts,
        status,
        error,
        retry_in_s,
    )
