"""Transcriptions: started as jobs on a ready asset, read back in four formats."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import asyncpg

from reelforge.ingest.v1 import ingest_pb2
from reelforge.transcription.v1 import transcription_pb2
from reelforge.transcription.v1.transcription_pb2 import TranscriptFormat
from reelforge_gateway.api.schemas import Job, SearchHit, SearchPage
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import IngestClient, TranscriptionClient
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import admit, new_job_id, record_job
from reelforge_gateway.operations.jobs import get_job
from reelforge_gateway.problems import ProblemError

KIND = "transcription"


class Format(StrEnum):
    JSON = "json"
    SRT = "srt"
    VTT = "vtt"
    TXT = "txt"


_FORMATS = {
    Format.JSON: TranscriptFormat.TRANSCRIPT_FORMAT_JSON,
    Format.SRT: TranscriptFormat.TRANSCRIPT_FORMAT_SRT,
    Format.VTT: TranscriptFormat.TRANSCRIPT_FORMAT_VTT,
    Format.TXT: TranscriptFormat.TRANSCRIPT_FORMAT_TXT,
}


async def request_transcription(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    ingest: IngestClient,
    transcription: TranscriptionClient,
    feed: JobFeed,
    *,
    tenant_id: str,
    asset_id: str,
    language: str | None,
    model: str | None,
    word_timestamps: bool,
    prompt: str | None,
    hotwords: str | None = None,
) -> Job:
    """Start transcribing a ready asset; the answer is the job."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    asset = await ingest.calling(lambda: ingest.stub.GetAsset(ref, timeout=ingest.timeout_s))
    if asset.status != "ready":
        raise ProblemError("asset_not_ready", f"asset {asset_id} is {asset.status}")
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = transcription_pb2.TranscriptionRequest(
        tenant_id=tenant_id,
        job_id=job_id,
        asset_id=asset_id,
        language=language or "",
        model=model or "",
        word_timestamps=word_timestamps,
        prompt=prompt or "",
        hotwords=hotwords or "",
    )
    await transcription.calling(
        lambda: transcription.stub.RequestTranscription(request, timeout=transcription.timeout_s)
    )
    at = datetime.now(UTC)
    await record_job(feed, tenant_id=tenant_id, job_id=job_id, kind=KIND, resource_id=asset_id, at=at)
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


async def get_transcript(
    transcription: TranscriptionClient, *, tenant_id: str, asset_id: str, format: Format
) -> tuple[str, str]:
    """The asset's latest transcript: (media type, body)."""
    request = transcription_pb2.GetTranscriptRequest(tenant_id=tenant_id, asset_id=asset_id, format=_FORMATS[format])
    document = await transcription.calling(
        lambda: transcription.stub.GetTranscript(request, timeout=transcription.timeout_s)
    )
    return document.content_type, document.body


async def search(transcription: TranscriptionClient, *, tenant_id: str, query: str, limit: int) -> SearchPage:
    """Moments in the tenant's transcripts that match ``query``, best first."""
    request = transcription_pb2.SearchRequest(tenant_id=tenant_id, query=query, limit=limit)
    found = await transcription.calling(
        lambda: transcription.stub.SearchTranscripts(request, timeout=transcription.timeout_s)
    )
    return SearchPage(
        items=[
            SearchHit(
                asset_id=hit.asset_id,
                transcript_id=hit.transcript_id,
                start_s=hit.start_s,
                end_s=hit.end_s,
                text=hit.text,
                score=hit.score,
            )
            for hit in found.hits
        ]
    )
