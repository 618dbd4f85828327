"""Pose analyses: one row per analysis of an asset; the track itself is in S3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reelforge_common.db.connection import Executor as Db
from reelforge_pose.store import lock_clause


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


_ANALYSIS = ", ".join(AnalysisRow.__dataclass_fields__)


def _analysis(row: asyncpg.Record | None) -> AnalysisRow | None:
    return AnalysisRow(**dict(row)) if row else None


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
            f"SELECT {_ANALYSIS} FROM analyses WHERE tenant_id = $1 AND id = $2{lock_clause(lock)}",
            tenant_id,
            analysis_id,
        )
    )


async def analysis_for_job(conn: Db, *, tenant_id: str, job_id: str) -> AnalysisRow | None:
    """The analysis a job made (analyses made for a comparison have no job of their own)."""
    if not job_id:
        return None
    return _analysis(
        await conn.fetchrow(
            f"SELECT {_ANALYSIS} FROM analyses WHERE tenant_id = $1 AND job_id = $2 ORDER BY created_at LIMIT 1",
            tenant_id,
            job_id,
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
