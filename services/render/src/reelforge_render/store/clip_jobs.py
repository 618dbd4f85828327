"""Clip jobs, their plans (one row per clip) and what each clip's render produced."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_render.options import ClipOptions


@dataclass(frozen=True)
class ClipJobRow:
    tenant_id: str
    id: str
    job_id: str
    asset_id: str
    # waiting (for the asset), analysing, rendering, completed, failed.
    status: str
    options: ClipOptions
    transcript_id: str
    transcript_ready: bool
    transcript_progress: float
    pose_analysis_id: str
    pose_ready: bool
    pose_progress: float
    manifest_key: str
    error_code: str | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in {"completed", "failed"}

    @property
    def analysed(self) -> bool:
        return self.transcript_ready and self.pose_ready


_COLUMNS = ", ".join(ClipJobRow.__dataclass_fields__)


def _job(row: asyncpg.Record | None) -> ClipJobRow | None:
    if row is None:
        return None
    values = dict(row)
    values["options"] = ClipOptions.from_json(json.loads(values["options"]))
    return ClipJobRow(**values)


def _lock(lock: bool) -> str:
    return " FOR UPDATE" if lock else ""


async def create(
    conn: Db, *, tenant_id: str, clip_job_id: str, job_id: str, asset_id: str, options: ClipOptions
) -> None:
    await conn.execute(
        """INSERT INTO clip_jobs (tenant_id, id, job_id, asset_id, status, options)
           VALUES ($1, $2, $3, $4, 'waiting', $5::jsonb)""",
        tenant_id,
        clip_job_id,
        job_id,
        asset_id,
        json.dumps(options.to_json()),
    )


async def by_id(conn: Db, *, tenant_id: str, clip_job_id: str, lock: bool = False) -> ClipJobRow | None:
    return _job(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM clip_jobs WHERE tenant_id = $1 AND id = $2{_lock(lock)}", tenant_id, clip_job_id
        )
    )


async def by_job(conn: Db, *, tenant_id: str, job_id: str, lock: bool = False) -> ClipJobRow | None:
    return _job(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM clip_jobs WHERE tenant_id = $1 AND job_id = $2{_lock(lock)}", tenant_id, job_id
        )
    )


async def waiting_for(conn: Connection, *, tenant_id: str, asset_id: str) -> list[ClipJobRow]:
    """The jobs waiting for the asset to be ingested, locked."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM clip_jobs WHERE tenant_id = $1 AND asset_id = $2 AND status = 'waiting'
            ORDER BY created_at FOR UPDATE""",
        tenant_id,
        asset_id,
    )
    return [job for job in map(_job, rows) if job is not None]


async def analysing(conn: Connection, *, tenant_id: str, asset_id: str) -> list[ClipJobRow]:
    """The asset's jobs waiting for their analyses, oldest first."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM clip_jobs WHERE tenant_id = $1 AND asset_id = $2 AND status = 'analysing'
            ORDER BY created_at""",
        tenant_id,
        asset_id,
    )
    return [job for job in map(_job, rows) if job is not None]


async def sharing(conn: Connection, *, tenant_id: str, analysis: str, analysis_id: str) -> list[ClipJobRow]:
    """The analysing jobs waiting for the analysis ``analysis_id`` (a
    transcript or a pose analysis several jobs of one asset share), locked."""
    column = {"transcript": "transcript_id", "pose": "pose_analysis_id"}[analysis]
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM clip_jobs
            WHERE tenant_id = $1 AND {column} = $2 AND status = 'analysing' AND NOT {analysis}_ready
            ORDER BY created_at FOR UPDATE""",
        tenant_id,
        analysis_id,
    )
    return [job for job in map(_job, rows) if job is not None]


async def start_analysing(
    conn: Connection,
    *,
    tenant_id: str,
    clip_job_id: str,
    transcript_id: str,
    transcript_ready: bool,
    pose_analysis_id: str,
    pose_ready: bool,
) -> None:
    await conn.execute(
        """UPDATE clip_jobs SET status = 'analysing', transcript_id = $3, transcript_ready = $4,
                  pose_analysis_id = $5, pose_ready = $6
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        clip_job_id,
        transcript_id,
        transcript_ready,
        pose_analysis_id,
        pose_ready,
    )


# Which of the two analyses: the column prefix.
ANALYSES = ("transcript", "pose")


async def mark_analysed(conn: Connection, *, tenant_id: str, clip_job_id: str, analysis: str) -> None:
    assert analysis in ANALYSES
    await conn.execute(
        f"UPDATE clip_jobs SET {analysis}_ready = true, {analysis}_progress = 1 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        clip_job_id,
    )


async def set_progress(conn: Connection, *, tenant_id: str, clip_job_id: str, analysis: str, fraction: float) -> None:
    assert analysis in ANALYSES
    await conn.execute(
        f"UPDATE clip_jobs SET {analysis}_progress = $3 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        clip_job_id,
        fraction,
    )


async def mark_rendering(conn: Db, *, tenant_id: str, clip_job_id: str) -> None:
    await conn.execute(
        "UPDATE clip_jobs SET status = 'rendering' WHERE tenant_id = $1 AND id = $2 AND status = 'analysing'",
        tenant_id,
        clip_job_id,
    )


async def complete(conn: Connection, *, tenant_id: str, clip_job_id: str, manifest_key: str) -> None:
    await conn.execute(
        """UPDATE clip_jobs SET status = 'completed', manifest_key = $3, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        clip_job_id,
        manifest_key,
    )


async def fail(conn: Connection, *, tenant_id: str, clip_job_id: str, code: str, message: str) -> None:
    await conn.execute(
        """UPDATE clip_jobs SET status = 'failed', error_code = $3, error_message = $4, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        clip_job_id,
        code,
        message,
    )


async def forget_asset(conn: Connection, *, tenant_id: str, asset_id: str) -> list[str]:
    """Delete the asset's clip jobs (their clips cascade); returns their ids."""
    rows = await conn.fetch(
        "DELETE FROM clip_jobs WHERE tenant_id = $1 AND asset_id = $2 RETURNING id", tenant_id, asset_id
    )
    return [row["id"] for row in rows]


# Plans and clips.


@dataclass(frozen=True)
class ClipRow:
    idx: int
    start_s: float
    end_s: float
    score: float
    reasons: list[dict[str, Any]]
    title: str
    excerpt: str
    hashtags: list[str]
    framing: str
    width: int
    height: int
    video_key: str
    thumbnail_key: str
    subtitles_key: str
    rendered: bool


_CLIP_COLUMNS = ", ".join(ClipRow.__dataclass_fields__)


async def save_plan(conn: Connection, *, tenant_id: str, clip_job_id: str, clips: list[ClipRow]) -> None:
    await conn.executemany(
        """INSERT INTO clips (tenant_id, clip_job_id, idx, start_s, end_s, score, reasons, title, excerpt, hashtags)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::jsonb)""",
        [
            (
                tenant_id,
                clip_job_id,
                c.idx,
                c.start_s,
                c.end_s,
                c.score,
                json.dumps(c.reasons),
                c.title,
                c.excerpt,
                json.dumps(c.hashtags),
            )
            for c in clips
        ],
    )


async def plan(conn: Db, *, tenant_id: str, clip_job_id: str) -> list[ClipRow]:
    rows = await conn.fetch(
        f"SELECT {_CLIP_COLUMNS} FROM clips WHERE tenant_id = $1 AND clip_job_id = $2 ORDER BY idx",
        tenant_id,
        clip_job_id,
    )
    return [
        ClipRow(**{**dict(row), "reasons": json.loads(row["reasons"]), "hashtags": json.loads(row["hashtags"])})
        for row in rows
    ]


@dataclass(frozen=True)
class RenderedFiles:
    video_key: str
    thumbnail_key: str
    subtitles_key: str
    framing: str
    width: int
    height: int


async def mark_rendered(conn: Connection, *, tenant_id: str, clip_job_id: str, idx: int, files: RenderedFiles) -> None:
    await conn.execute(
        """UPDATE clips SET rendered = true, video_key = $4, thumbnail_key = $5, subtitles_key = $6, framing = $7,
                  width = $8, height = $9
           WHERE tenant_id = $1 AND clip_job_id = $2 AND idx = $3""",
        tenant_id,
        clip_job_id,
        idx,
        files.video_key,
        files.thumbnail_key,
        files.subtitles_key,
        files.framing,
        files.width,
        files.height,
    )
