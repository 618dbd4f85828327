"""Exports of projects: what each was asked to make, and how it went."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from reelforge_common.db.connection import Executor as Db

FINISHED = ("completed", "failed", "cancelled")


@dataclass(frozen=True)
class ExportRow:
    tenant_id: str
    id: str
    job_id: str
    project_id: str
    # queued, running, completed, failed or cancelled.
    status: str
    settings: dict[str, Any]
    # The project's items when the export was asked for: [{id, asset_id, trim_in_s, trim_out_s}].
    items: list[dict[str, Any]]
    duration_s: float
    output_key: str
    size_bytes: int
    error_code: str | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


_COLUMNS = ", ".join(ExportRow.__dataclass_fields__)


def new_export_id() -> str:
    return "exp_" + uuid.uuid4().hex


def _row(row: asyncpg.Record | None) -> ExportRow | None:
    if row is None:
        return None
    values = dict(row)
    values["settings"] = json.loads(values["settings"])
    values["items"] = json.loads(values["items"])
    return ExportRow(**values)


async def create(
    conn: Db,
    *,
    tenant_id: str,
    job_id: str,
    project_id: str,
    settings: dict[str, Any],
    items: list[dict[str, Any]],
    duration_s: float,
) -> ExportRow:
    row = _row(
        await conn.fetchrow(
            f"""INSERT INTO exports (tenant_id, id, job_id, project_id, status, settings, items, duration_s)
                VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7) RETURNING {_COLUMNS}""",
            tenant_id,
            new_export_id(),
            job_id,
            project_id,
            json.dumps(settings),
            json.dumps(items),
            duration_s,
        )
    )
    assert row is not None
    return row


async def get(conn: Db, *, tenant_id: str, export_id: str, lock: bool = False) -> ExportRow | None:
    return _row(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM exports WHERE tenant_id = $1 AND id = $2{' FOR UPDATE' if lock else ''}",
            tenant_id,
            export_id,
        )
    )


async def by_job(conn: Db, *, tenant_id: str, job_id: str) -> ExportRow | None:
    return _row(
        await conn.fetchrow(f"SELECT {_COLUMNS} FROM exports WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id)
    )


async def status(conn: Db, *, tenant_id: str, export_id: str) -> str | None:
    found: str | None = await conn.fetchval(
        "SELECT status FROM exports WHERE tenant_id = $1 AND id = $2", tenant_id, export_id
    )
    return found


async def history(
    conn: Db, *, tenant_id: str, project_id: str, limit: int, after: tuple[datetime, str] | None
) -> list[ExportRow]:
    """The project's exports, newest first, after the keyset position ``after``."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM exports
            WHERE tenant_id = $1 AND project_id = $2
              AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
            ORDER BY created_at DESC, id DESC LIMIT $5""",
        tenant_id,
        project_id,
        after[0] if after else None,
        after[1] if after else "",
        limit,
    )
    return [row for r in rows if (row := _row(r)) is not None]


async def mark_running(conn: Db, *, tenant_id: str, export_id: str) -> None:
    await conn.execute(
        "UPDATE exports SET status = 'running' WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant_id,
        export_id,
    )


async def mark_completed(conn: Db, *, tenant_id: str, export_id: str, output_key: str, size_bytes: int) -> None:
    await conn.execute(
        """UPDATE exports SET status = 'completed', output_key = $3, size_bytes = $4, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        export_id,
        output_key,
        size_bytes,
    )


async def mark_ended(conn: Db, *, tenant_id: str, export_id: str, status: str, code: str, message: str) -> None:
    """Failed or cancelled, with the reason."""
    await conn.execute(
        """UPDATE exports SET status = $3, error_code = $4, error_message = $5, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        export_id,
        status,
        code,
        message,
    )
