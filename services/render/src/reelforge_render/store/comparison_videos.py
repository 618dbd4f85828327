"""Videos of pose comparisons, and how each went."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class ComparisonVideoRow:
    tenant_id: str
    id: str
    job_id: str
    comparison_id: str
    # queued, running, completed or failed.
    status: str
    resolution: str
    format: str
    duration_s: float
    output_key: str
    error_code: str | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None
    # side_by_side or interleaved.
    layout: str

    @property
    def finished(self) -> bool:
        return self.status in {"completed", "failed"}


_COLUMNS = ", ".join(ComparisonVideoRow.__dataclass_fields__)


async def create(
    conn: Db, *, tenant_id: str, job_id: str, comparison_id: str, resolution: str, format: str, layout: str
) -> ComparisonVideoRow:
    row = await conn.fetchrow(
        f"""INSERT INTO comparison_videos (tenant_id, id, job_id, comparison_id, status, resolution, format, layout)
            VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7) RETURNING {_COLUMNS}""",
        tenant_id,
        "cv_" + uuid.uuid4().hex,
        job_id,
        comparison_id,
        resolution,
        format,
        layout,
    )
    assert row is not None
    return ComparisonVideoRow(**dict(row))


async def get(conn: Db, *, tenant_id: str, video_id: str, lock: bool = False) -> ComparisonVideoRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM comparison_videos WHERE tenant_id = $1 AND id = $2{' FOR UPDATE' if lock else ''}",
        tenant_id,
        video_id,
    )
    return ComparisonVideoRow(**dict(row)) if row else None


async def by_job(conn: Db, *, tenant_id: str, job_id: str) -> ComparisonVideoRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM comparison_videos WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
    )
    return ComparisonVideoRow(**dict(row)) if row else None


async def mark_running(conn: Db, *, tenant_id: str, video_id: str) -> None:
    await conn.execute(
        "UPDATE comparison_videos SET status = 'running' WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant_id,
        video_id,
    )


async def mark_completed(conn: Db, *, tenant_id: str, video_id: str, output_key: str, duration_s: float) -> None:
    await conn.execute(
        """UPDATE comparison_videos SET status = 'completed', output_key = $3, duration_s = $4, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        video_id,
        output_key,
        duration_s,
    )


async def mark_failed(conn: Db, *, tenant_id: str, video_id: str, code: str, message: str) -> None:
    await conn.execute(
        """UPDATE comparison_videos SET status = 'failed', error_code = $3, error_message = $4, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        video_id,
        code,
        message,
    )
