"""Comparisons: one row per comparison; the full result is JSON in S3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reelforge_common.db.connection import Executor as Db
from reelforge_pose.store import lock_clause


@dataclass(frozen=True)
class ComparisonRow:
    tenant_id: str
    id: str
    job_id: str
    status: str
    reference_asset_id: str
    attempt_asset_id: str
    reference_start_s: float
    reference_end_s: float
    attempt_start_s: float
    attempt_end_s: float
    sample_fps: float
    score: float | None
    mirrored: bool
    weak_segments: int
    result_key: str
    error_code: str | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None


_COMPARISON = ", ".join(ComparisonRow.__dataclass_fields__)


def _comparison(row: asyncpg.Record | None) -> ComparisonRow | None:
    return ComparisonRow(**dict(row)) if row else None


@dataclass(frozen=True)
class Spans:
    reference_start_s: float = 0.0
    reference_end_s: float = 0.0
    attempt_start_s: float = 0.0
    attempt_end_s: float = 0.0


async def create_comparison(
    conn: Db,
    *,
    tenant_id: str,
    comparison_id: str,
    job_id: str,
    reference_asset_id: str,
    attempt_asset_id: str,
    spans: Spans,
    sample_fps: float,
) -> None:
    await conn.execute(
        """INSERT INTO comparisons (tenant_id, id, job_id, status, reference_asset_id, attempt_asset_id,
                                    reference_start_s, reference_end_s, attempt_start_s, attempt_end_s, sample_fps)
           VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10)""",
        tenant_id,
        comparison_id,
        job_id,
        reference_asset_id,
        attempt_asset_id,
        spans.reference_start_s,
        spans.reference_end_s,
        spans.attempt_start_s,
        spans.attempt_end_s,
        sample_fps,
    )


async def comparison_by_id(conn: Db, *, tenant_id: str, comparison_id: str, lock: bool = False) -> ComparisonRow | None:
    return _comparison(
        await conn.fetchrow(
            f"SELECT {_COMPARISON} FROM comparisons WHERE tenant_id = $1 AND id = $2{lock_clause(lock)}",
            tenant_id,
            comparison_id,
        )
    )


async def list_comparisons(
    conn: Db, *, tenant_id: str, limit: int, after: tuple[datetime, str] | None, asset_id: str
) -> list[ComparisonRow]:
    """Newest first, after the (created_at, id) position of a previous page."""
    rows = await conn.fetch(
        f"""SELECT {_COMPARISON} FROM comparisons
            WHERE tenant_id = $1
              AND ($2::text = '' OR reference_asset_id = $2 OR attempt_asset_id = $2)
              AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
            ORDER BY created_at DESC, id DESC LIMIT $5""",
        tenant_id,
        asset_id,
        after[0] if after else None,
        after[1] if after else "",
        limit,
    )
    return [ComparisonRow(**dict(row)) for row in rows]


async def mark_comparison_running(conn: Db, *, tenant_id: str, comparison_id: str) -> None:
    await conn.execute(
        "UPDATE comparisons SET status = 'running' WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant_id,
        comparison_id,
    )


async def complete_comparison(
    conn: Db,
    *,
    tenant_id: str,
    comparison_id: str,
    score: float,
    mirrored: bool,
    weak_segments: int,
    sample_fps: float,
    result_key: str,
) -> None:
    await conn.execute(
        """UPDATE comparisons SET status = 'completed', score = $3, mirrored = $4, weak_segments = $5,
                  sample_fps = $6, result_key = $7, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        comparison_id,
        score,
        mirrored,
        weak_segments,
        sample_fps,
        result_key,
    )


async def fail_comparison(conn: Db, *, tenant_id: str, comparison_id: str, code: str, message: str) -> None:
    await conn.execute(
        """UPDATE comparisons SET status = 'failed', error_code = $3, error_message = $4, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        comparison_id,
        code,
        message,
    )
