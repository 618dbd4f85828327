"""SQL of transcripts, their segments and the assets they are made from."""

from __future__ import annotations

import json
from dataclasses import dataclass

import asyncpg

from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_transcription.transcript import Transcript


@dataclass(frozen=True)
class AssetAudio:
    """What ingest announced about an asset: its audio derivative (empty: no audio)."""

    audio_key: str
    duration_s: float


@dataclass(frozen=True)
class TranscriptRow:
    tenant_id: str
    id: str
    asset_id: str
    job_id: str
    status: str
    requested_language: str
    prompt: str
    hotwords: str
    word_timestamps: bool
    model: str
    document_key: str
    error_code: str | None


async def remember_asset(conn: Db, *, tenant_id: str, asset_id: str, audio: AssetAudio) -> None:
    await conn.execute(
        """INSERT INTO assets (tenant_id, asset_id, audio_key, duration_s) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, asset_id) DO UPDATE SET audio_key = $3, duration_s = $4""",
        tenant_id,
        asset_id,
        audio.audio_key,
        audio.duration_s,
    )


async def asset_audio(conn: Db, *, tenant_id: str, asset_id: str) -> AssetAudio | None:
    row = await conn.fetchrow(
        "SELECT audio_key, duration_s FROM assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id
    )
    return AssetAudio(row["audio_key"], row["duration_s"]) if row else None


async def forget_asset(conn: Connection, *, tenant_id: str, asset_id: str) -> list[str]:
    """Delete the asset and its transcripts (segments cascade); returns the documents to delete from S3."""
    await conn.execute("DELETE FROM assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id)
    rows = await conn.fetch(
        "DELETE FROM transcripts WHERE tenant_id = $1 AND asset_id = $2 RETURNING document_key", tenant_id, asset_id
    )
    return [row["document_key"] for row in rows if row["document_key"]]


async def create_transcript(
    conn: Db,
    *,
    tenant_id: str,
    transcript_id: str,
    asset_id: str,
    job_id: str,
    requested_language: str,
    prompt: str,
    hotwords: str,
    word_timestamps: bool,
    model: str,
) -> None:
    await conn.execute(
        """INSERT INTO transcripts (tenant_id, id, asset_id, job_id, status, requested_language, prompt,
                                    word_timestamps, model, hotwords)
           VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9)""",
        tenant_id,
        transcript_id,
        asset_id,
        job_id,
        requested_language,
        prompt,
        word_timestamps,
        model,
        hotwords,
    )


def _row(row: asyncpg.Record) -> TranscriptRow:
    return TranscriptRow(**{name: row[name] for name in TranscriptRow.__dataclass_fields__})


_COLUMNS = ", ".join(TranscriptRow.__dataclass_fields__)


async def transcript_for_job(conn: Db, *, tenant_id: str, job_id: str, lock: bool = False) -> TranscriptRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM transcripts WHERE tenant_id = $1 AND job_id = $2{' FOR UPDATE' if lock else ''}",
        tenant_id,
        job_id,
    )
    return _row(row) if row else None


async def latest_transcript(conn: Db, *, tenant_id: str, asset_id: str) -> TranscriptRow | None:
    row = await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM transcripts WHERE tenant_id = $1 AND asset_id = $2
            ORDER BY created_at DESC LIMIT 1""",
        tenant_id,
        asset_id,
    )
    return _row(row) if row else None


async def mark_running(conn: Db, *, tenant_id: str, transcript_id: str) -> None:
    await conn.execute(
        "UPDATE transcripts SET status = 'running' WHERE tenant_id = $1 AND id = $2 AND status = 'queued'",
        tenant_id,
        transcript_id,
    )


async def mark_completed(
    conn: Connection,
    *,
    tenant_id: str,
    transcript_id: str,
    transcript: Transcript,
    document_key: str,
    embeddings: list[bytes],
) -> None:
    """Record the result and its segments (for search)."""
    await conn.execute(
        """UPDATE transcripts SET status = 'completed', language = $3, language_probability = $4,
                  duration_s = $5, no_audio = $6, model = $7, document_key = $8, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        transcript_id,
        transcript.language,
        transcript.language_probability,
        transcript.duration_s,
        transcript.no_audio,
        transcript.model,
        document_key,
    )
    await conn.executemany(
        """INSERT INTO segments (tenant_id, transcript_id, idx, start_s, end_s, text, embedding)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        [
            (tenant_id, transcript_id, idx, segment.start, segment.end, segment.text.strip(), embedding)
            for idx, (segment, embedding) in enumerate(zip(transcript.segments, embeddings, strict=True))
        ],
    )


async def mark_failed(conn: Connection, *, tenant_id: str, transcript_id: str, code: str, message: str) -> None:
    await conn.execute(
        """UPDATE transcripts SET status = 'failed', error_code = $3, error_message = $4, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        transcript_id,
        code,
        message,
    )


@dataclass(frozen=True)
class SegmentHit:
    asset_id: str
    transcript_id: str
    start_s: float
    end_s: float
    text: str
    score: float


async def search_segments(conn: Db, *, tenant_id: str, query: str, limit: int) -> list[SegmentHit]:
    """Full-text search over the segments of the tenant's completed transcripts,
    best match first (``ts_rank_cd``: matched terms close together rank higher)."""
    rows = await conn.fetch(
        """
        SELECT t.asset_id, s.transcript_id, s.start_s, s.end_s, s.text,
               ts_rank_cd(s.tsv, q) AS score
        FROM segments s
        JOIN transcripts t ON t.tenant_id = s.tenant_id AND t.id = s.transcript_id
        CROSS JOIN websearch_to_tsquery('simple', $2) AS q
        WHERE s.tenant_id = $1 AND s.tsv @@ q AND t.status = 'completed'
        ORDER BY score DESC, t.asset_id, s.start_s
        LIMIT $3
        """,
        tenant_id,
        query,
        limit,
    )
    return [SegmentHit(**dict(row)) for row in rows]


async def create_chunks(
    conn: Connection, *, tenant_id: str, transcript_id: str, spans: list[tuple[float, float]]
) -> None:
    await conn.executemany(
        "INSERT INTO transcript_chunks (tenant_id, transcript_id, idx, start_s, end_s) VALUES ($1, $2, $3, $4, $5)",
        [(tenant_id, transcript_id, idx, start, end) for idx, (start, end) in enumerate(spans)],
    )


async def chunk_done(conn: Db, *, tenant_id: str, transcript_id: str, idx: int) -> bool:
    done: bool | None = await conn.fetchval(
        "SELECT result IS NOT NULL FROM transcript_chunks WHERE tenant_id = $1 AND transcript_id = $2 AND idx = $3",
        tenant_id,
        transcript_id,
        idx,
    )
    return bool(done)


async def save_chunk(conn: Connection, *, tenant_id: str, transcript_id: str, idx: int, result: Transcript) -> None:
    await conn.execute(
        """UPDATE transcript_chunks SET result = $4::jsonb
           WHERE tenant_id = $1 AND transcript_id = $2 AND idx = $3""",
        tenant_id,
        transcript_id,
        idx,
        json.dumps(result.to_json()),
    )


async def chunk_progress(conn: Db, *, tenant_id: str, transcript_id: str) -> tuple[int, int]:
    """(chunks done, chunks in all)."""
    row = await conn.fetchrow(
        """SELECT count(result), count(*) FROM transcript_chunks WHERE tenant_id = $1 AND transcript_id = $2""",
        tenant_id,
        transcript_id,
    )
    assert row is not None
    return int(row[0]), int(row[1])


async def chunk_results(conn: Db, *, tenant_id: str, transcript_id: str) -> list[Transcript]:
    rows = await conn.fetch(
        "SELECT result FROM transcript_chunks WHERE tenant_id = $1 AND transcript_id = $2 ORDER BY idx",
        tenant_id,
        transcript_id,
    )
    return [Transcript.from_json(json.loads(row["result"])) for row in rows]


async def transcript_by_id(conn: Db, *, tenant_id: str, transcript_id: str, lock: bool = False) -> TranscriptRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM transcripts WHERE tenant_id = $1 AND id = $2{' FOR UPDATE' if lock else ''}",
        tenant_id,
        transcript_id,
    )
    return _row(row) if row else None


# Segments whose embeddings a semantic search compares at most (the tenant's
# most recent); past this, an approximate index (pgvector) is the next step.
SEMANTIC_SCAN_LIMIT = 50_000


async def embedded_segments(conn: Db, *, tenant_id: str) -> tuple[list[SegmentHit], list[bytes]]:
    """The tenant's most recent segments with embeddings, and those embeddings."""
    rows = await conn.fetch(
        """
        SELECT t.asset_id, s.transcript_id, s.start_s, s.end_s, s.text, s.embedding
        FROM segments s
        JOIN transcripts t ON t.tenant_id = s.tenant_id AND t.id = s.transcript_id
        WHERE s.tenant_id = $1 AND t.status = 'completed' AND s.embedding IS NOT NULL
        ORDER BY t.completed_at DESC, s.idx
        LIMIT $2
        """,
        tenant_id,
        SEMANTIC_SCAN_LIMIT,
    )
    hits = [SegmentHit(r["asset_id"], r["transcript_id"], r["start_s"], r["end_s"], r["text"], 0.0) for r in rows]
    return hits, [bytes(row["embedding"]) for row in rows]
