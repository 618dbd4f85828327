"""Transcriptions and transcripts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from reelforge_gateway.api.deps import Feed, Ingest, Pool, Reader, Settings, Transcription, Writer
from reelforge_gateway.api.schemas import NOT_BLANK, Job, SearchPage, TranscriptionCreate
from reelforge_gateway.operations import transcriptions
from reelforge_gateway.operations.transcriptions import Format
from reelforge_gateway.problems import documented

router = APIRouter(tags=["transcripts"], responses=documented("unauthenticated", "forbidden"))


@router.post(
    "/v1/transcriptions",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(
        "not_found",
        "asset_not_ready",
        "unsupported_language",
        "unsupported_model",
        "validation_failed",
        "concurrent_jobs_exceeded",
        "monthly_minutes_exceeded",
        "unavailable",
    ),
)
async def create_transcription(
    body: TranscriptionCreate,
    caller: Writer,
    pool: Pool,
    settings: Settings,
    ingest: Ingest,
    transcription: Transcription,
    feed: Feed,
) -> Job:
    """Transcribe a ready asset's speech (words with timings). The answer is
    the job (kind `transcription`): follow it in `/v1/jobs/{id}` or its
    events, then read `GET /v1/transcripts/{asset_id}`. An asset without
    audio gives an empty transcript flagged `no_audio`."""
    return await transcriptions.request_transcription(
        pool,
        settings,
        ingest,
        transcription,
        feed,
        tenant_id=caller.tenant_id,
        asset_id=body.asset_id,
        language=body.language,
        model=body.model,
        word_timestamps=body.word_timestamps,
        prompt=body.prompt,
        hotwords=body.hotwords,
    )


@router.get(
    "/v1/transcripts/{asset_id}",
    response_class=Response,
    responses={
        **documented("not_found", "transcript_not_ready", "transcript_failed", "validation_failed"),
        200: {
            "description": "The transcript: JSON (language, duration, segments with words), SRT, WebVTT or text",
            "content": {
                "application/json": {},
                "application/x-subrip": {"schema": {"type": "string"}},
                "text/vtt": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
    },
)
async def get_transcript(
    asset_id: str, caller: Reader, transcription: Transcription, format: Format = Format.JSON
) -> Response:
    """The asset's latest transcript. SRT and VTT follow subtitle conventions
    (at most 42 characters a line, 2 lines a cue, cues cut on word timings)."""
    content_type, body = await transcriptions.get_transcript(
        transcription, tenant_id=caller.tenant_id, asset_id=asset_id, format=format
    )
    return Response(body, media_type=f"{content_type}; charset=utf-8")


@router.get("/v1/search", responses=documented("validation_failed"))
async def search(
    caller: Reader,
    transcription: Transcription,
    q: Annotated[
        str, Query(min_length=1, max_length=500, pattern=NOT_BLANK, description='Words, "a phrase", -excluded')
    ],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchPage:
    """Moments in the tenant's transcripts where the words are said: the asset,
    the time range and the text, best match first (full-text search)."""
    return await transcriptions.search(transcription, tenant_id=caller.tenant_id, query=q, limit=limit)
