"""Practice sessions, their recordings, and the sessions' videos."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class SessionRow:
    tenant_id: str
    id: str
    name: str
    reference_asset_id: str
    created_at: datetime


@dataclass(frozen=True)
class RecordingRow:
    id: str
    position: int
    asset_id: str
    duration_s: float
    reference_start_s: float
    reference_end_s: float
    comparison_id: str
    job_id: str


@dataclass(frozen=True)
class SessionExportRow:
    tenant_id: str
    id: str
    job_id: str
    session_id: str
    # solo or comparison.
    kind: str
    resolution: str
    format: str
    # queued, running, completed or failed.
    status: str
    duration_s: float
    output_key: str
    error_code: str | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None
    # Comparison videos: side_by_side or interleaved.
    layout: str

    @property
    def finished(self) -> bool:
        return self.status in {"completed", "failed"}


_SESSION = ", ".join(SessionRow.__dataclass_fields__)
_RECORDING = ", ".join(RecordingRow.__dataclass_fields__)
_EXPORT = ", ".join(SessionExportRow.__dataclass_fields__)


async def create(conn: Db, *, tenant_id: str, name: str, reference_asset_id: str) -> SessionRow:
    row = await conn.fetchrow(
        f"""INSERT INTO practice_sessions (tenant_id, id, name, reference_asset_id) VALUES ($1, $2, $3, $4)
            RETURNING {_SESSION}""",
        tenant_id,
        "ses_" + uuid.uuid4().hex,
        name,
        reference_asset_id,
    )
    assert row is not None
    return SessionRow(**dict(row))


async def get(conn: Db, *, tenant_id: str, session_id: str, lock: bool = False) -> SessionRow | None:
    row = await conn.fetchrow(
        f"SELECT {_SESSION} FROM practice_sessions WHERE tenant_id = $1 AND id = $2{' FOR UPDATE' if lock else ''}",
        tenant_id,
        session_id,
    )
    return SessionRow(**dict(row)) if row else None


async def newest(conn: Db, *, tenant_id: str, limit: int, after: tuple[datetime, str] | None) -> list[SessionRow]:
    rows = await conn.fetch(
        f"""SELECT {_SESSION} FROM practice_sessions
            WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
            ORDER BY created_at DESC, id DESC LIMIT $4""",
        tenant_id,
        after[0] if after else None,
        after[1] if after else "",
        limit,
    )
    return [SessionRow(**dict(r)) for r in rows]


async def recordings(conn: Db, *, tenant_id: str, session_id: str) -> list[RecordingRow]:
    rows = await conn.fetch(
        f"SELECT {_RECORDING} FROM practice_recordings WHERE tenant_id = $1 AND session_id = $2 ORDER BY position",
        tenant_id,
        session_id,
    )
    return [RecordingRow(**dict(r)) for r in rows]


async def recording_by_job(conn: Db, *, tenant_id: str, job_id: str) -> RecordingRow | None:
    row = await conn.fetchrow(
        f"SELECT {_RECORDING} FROM practice_recordings WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
    )
    return RecordingRow(**dict(row)) if row else None


async def add_recording(conn: Db, *, tenant_id: str, session_id: str, recording: RecordingRow) -> None:
    await conn.execute(
        """INSERT INTO practice_recordings (tenant_id, session_id, id, position, asset_id, duration_s,
                                            reference_start_s, reference_end_s, comparison_id, job_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        tenant_id,
        session_id,
        recording.id,
        recording.position,
        recording.asset_id,
        recording.duration_s,
        recording.reference_start_s,
        recording.reference_end_s,
        recording.comparison_id,
        recording.job_id,
    )


async def create_export(
    conn: Db, *, tenant_id: str, job_id: str, session_id: str, kind: str, resolution: str, format: str, layout: str
) -> SessionExportRow:
    row = await conn.fetchrow(
        f"""INSERT INTO session_exports (tenant_id, id, job_id, session_id, kind, resolution, format, status, layout)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8) RETURNING {_EXPORT}""",
        tenant_id,
        "sx_" + uuid.uuid4().hex,
        job_id,
        session_id,
        kind,
        resolution,
        format,
        layout,
    )
    assert row is not None
    return SessionExportRow(**dict(row))


async def get_export(conn: Db, *, tenant_id: str, export_id: str, lock: bool = False) -> SessionExportRow | None:
    row = await conn.fetchrow(
        f"SELECT {_EXPORT} FROM session_exports WHERE tenant_id = $1 AND id = $2{' FOR UPDATE' if lock else ''}",
        tenant_id,
        export_id,
    )
    return SessionExportRow(**dict(row)) if row else None


async def export_by_job(conn: Db, *, tenant_id: str, job_id: str) -> SessionExportRow | None:
    row = await conn.fetchrow(
        f"SELECT {_EXPORT} FROM session_exports WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
    )
    return SessionExportRow(**dict(row)) if row else None


async def mark_export(
    conn: Db,
    *,
    tenant_id: str,
    export_id: str,
    status: str,
    output_key: str = "",
    duration_s: float = 0.0,
    code: str | None = None,
    message: str | None = None,
) -> None:
    """running, completed (with the video) or failed (with the reason)."""
    await conn.execute(
        """UPDATE session_exports SET status = $3, output_key = $4, duration_s = $5, error_code = $6,
                  error_message = $7, completed_at = CASE WHEN $3 = 'running' THEN NULL ELSE now() END
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        export_id,
        status,
        output_key,
        duration_s,
        code,
        message,
    )
