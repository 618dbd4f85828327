"""SQL of pose analyses, comparisons and the assets they are made from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from reelforge_common.db.connection import Connection

Db: TypeAlias = "Connection | asyncpg.Pool"


@dataclass(frozen=True)
class AssetVideo:
    """What ingest announced about an asset: its proxy (empty: no video)."""

    proxy_key: str
    duration_s: float


@dataclass(frozen=True)
class AnalysisRow:
    tenant_id: str
    id: str
    asset_id: str
    job_id: str
    status: str
    sample_fps: float
    max_people: int
    model: str
    frames_analysed: int
    frames_with_person: int
    mean_visibility: float
    people_seen: int
    no_person: bool
    duration_s: float
    width: int
    height: int
    track_key: str
    error_code: str | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class AnalysisResult:
    frames_analysed: int
    frames_with_person: int
    mean_visibility: float
    people_seen: int
    no_person: bool
    sample_fps: float
    duration_s: float
    width: int
    height: int
    track_key: str


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


def _fields(row_type: type[Any]) -> str:
    return ", ".join(row_type.__dataclass_fields__)


_ANALYSIS = _fields(AnalysisRow)
_COMPARISON = _fields(ComparisonRow)


def _analysis(row: asyncpg.Record | None) -> AnalysisRow | None:
    return AnalysisRow(**dict(row)) if row else None


def _comparison(row: asyncpg.Record | None) -> ComparisonRow | None:
    return ComparisonRow(**dict(row)) if row else None


def _lock(lock: bool) -> str:
    return " FOR UPDATE" if lock else ""


# Assets.


async def remember_asset(conn: Db, *, tenant_id: str, asset_id: str, video: AssetVideo) -> None:
    await conn.execute(
        """INSERT INTO assets (tenant_id, asset_id, proxy_key, duration_s) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, asset_id) DO UPDATE SET proxy_key = $3, duration_s = $4""",
        tenant_id,
        asset_id,
        video.proxy_key,
        video.duration_s,
    )


async def asset_video(conn: Db, *, tenant_id: str, asset_id: str) -> AssetVideo | None:
    row = await conn.fetchrow(
        "SELECT proxy_key, duration_s FROM assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id
    )
    return AssetVideo(row["proxy_key"], row["duration_s"]) if row else None


async def forget_asset(conn: Connection, *, tenant_id: str, asset_id: str) -> list[str]:
    """Delete the asset, its analyses and every comparison it is part of;
    returns the objects to delete from S3."""
    await conn.execute("DELETE FROM assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id)
    tracks = await conn.fetch(
        "DELETE FROM analyses WHERE tenant_id = $1 AND asset_id = $2 RETURNING track_key", tenant_id, asset_id
    )
    results = await conn.fetch(
        """DELETE FROM comparisons WHERE tenant_id = $1 AND (reference_asset_id = $2 OR attempt_asset_id = $2)
           RETURNING result_key""",
        tenant_id,
        asset_id,
    )
    return [key for key in (*(r["track_key"] for r in tracks), *(r["result_key"] for r in results)) if key]


# Analyses.


async def create_analysis(
    conn: Db,
    *,
    tenant_id: str,
    analysis_id: str,
    asset_id: str,
    job_id: str,
    sample_fps: float,
    max_people: int,
    model: str,
) -> None:
    await conn.execute(
        """INSERT INTO analyses (tenant_id, id, asset_id, job_id, status, requested_fps, sample_fps, max_people, model)
           VALUES ($1, $2, $3, $4, 'queued', $5, $5, $6, $7)""",
        tenant_id,
        analysis_id,
        asset_id,
        job_id,
        sample_fps,
        max_people,
        model,
    )


async def analysis_by_id(conn: Db, *, tenant_id: str, analysis_id: str, lock: bool = False) -> AnalysisRow | None:
    return _analysis(
        await conn.fetchrow(
            f"SELECT {_ANALYSIS} FROM analyses WHERE tenant_id = $1 AND id = $2{_lock(lock)}", tenant_id, analysis_id
        )
    )


async def latest_analysis(conn: Db, *, tenant_id: str, asset_id: str, completed: bool = False) -> AnalysisRow | None:
    """The asset's most recent analysis (the most recent completed one, if asked)."""
    status = " AND status = 'completed'" if completed else ""
    return _analysis(
        await conn.fetchrow(
            f"""SELECT {_ANALYSIS} FROM analyses WHERE tenant_id = $1 AND asset_id = $2{status}
                ORDER BY created_at DESC, id DESC LIMIT 1""",
            tenant_id,
            asset_id,
        )
    )


async def reusable_analysis(
    conn: Db, *, tenant_id: str, asset_id: str, sample_fps: float, max_people: int, model: str
) -> AnalysisRow | None:
    """A completed analysis of the asset asked for with these settings."""
    return _analysis(
        await conn.fetchrow(
            f"""SELECT {_ANALYSIS} FROM analyses
                WHERE tenant_id = $1 AND asset_id = $2 AND status = 'completed'
                  AND abs(requested_fps - $3) < 1e-6 AND max_people = $4 AND model = $5
                ORDER BY created_at DESC LIMIT 1""",
            tenant_id,
            asset_id,
            sample_fps,
            max_people,
            model,
        )
    )


async def mark_analysis_running(conn: Db, *, tenant_id: str, analysis_id: str) -> None:
    await conn.execute(
        "UPDATE analyses SET status = 'running' WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant_id,
        analysis_id,
    )


async def complete_analysis(conn: Db, *, tenant_id: str, analysis_id: str, result: AnalysisResult) -> None:
    await conn.execute(
        """UPDATE analyses SET status = 'completed', frames_analysed = $3, frames_with_person = $4,
                  mean_visibility = $5, people_seen = $6, no_person = $7, sample_fps = $8, duration_s = $9,
                  width = $10, height = $11, track_key = $12, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        analysis_id,
        result.frames_analysed,
        result.frames_with_person,
        result.mean_visibility,
        result.people_seen,
        result.no_person,
        result.sample_fps,
        result.duration_s,
        result.width,
        result.height,
        result.track_key,
    )


async def fail_analysis(conn: Db, *, tenant_id: str, analysis_id: str, code: str, message: str) -> None:
    await conn.execute(
        """UPDATE analyses SET status = 'failed', error_code = $3, error_message = $4, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        analysis_id,
        code,
        message,
    )


# Comparisons.


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
            f"SELECT {_COMPARISON} FROM comparisons WHERE tenant_id = $1 AND id = $2{_lock(lock)}",
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
