"""``reelforge.api.v1.Transcripts``: transcriptions, transcripts and their search."""

from __future__ import annotations

import asyncpg
import grpc

from reelforge.api.v1 import jobs_pb2, transcripts_pb2, transcripts_pb2_grpc
from reelforge.api.v1.transcripts_pb2 import TranscriptFormat
from reelforge_gateway.api.schemas import TranscriptionCreate
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.grpc_api import messages
from reelforge_gateway.grpc_api.auth import Authenticator
from reelforge_gateway.grpc_api.errors import answers_problems, validated
from reelforge_gateway.internal import IngestClient, TranscriptionClient
from reelforge_gateway.keys import Scope
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations import transcriptions
from reelforge_gateway.operations.transcriptions import Format
from reelforge_gateway.problems import ProblemError

_FORMATS = {
    TranscriptFormat.TRANSCRIPT_FORMAT_UNSPECIFIED: Format.JSON,
    TranscriptFormat.TRANSCRIPT_FORMAT_JSON: Format.JSON,
    TranscriptFormat.TRANSCRIPT_FORMAT_SRT: Format.SRT,
    TranscriptFormat.TRANSCRIPT_FORMAT_VTT: Format.VTT,
    TranscriptFormat.TRANSCRIPT_FORMAT_TXT: Format.TXT,
}
_MAX_QUERY, _DEFAULT_HITS, _MAX_HITS = 500, 20, 100


class TranscriptsService(transcripts_pb2_grpc.TranscriptsServicer):
    def __init__(
        self,
        auth: Authenticator,
        pool: asyncpg.Pool,
        settings: GatewaySettings,
        ingest: IngestClient,
        transcription: TranscriptionClient,
        feed: JobFeed,
    ) -> None:
        self._auth = auth
        self._pool = pool
        self._settings = settings
        self._ingest = ingest
        self._transcription = transcription
        self._feed = feed

    @answers_problems
    async def CreateTranscription(
        self, request: transcripts_pb2.CreateTranscriptionRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.Job:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        optional = {
            name: getattr(request, name)
            for name in ("language", "model", "prompt", "hotwords")
            if getattr(request, name)
        }
        if request.HasField("word_timestamps"):
            optional["word_timestamps"] = request.word_timestamps
        body = validated(TranscriptionCreate, asset_id=request.asset_id, **optional)
        job = await transcriptions.request_transcription(
            self._pool,
            self._settings,
            self._ingest,
            self._transcription,
            self._feed,
            tenant_id=caller.tenant_id,
            asset_id=body.asset_id,
            language=body.language,
            model=body.model,
            word_timestamps=body.word_timestamps,
            prompt=body.prompt,
            hotwords=body.hotwords,
        )
        return messages.job(job)

    @answers_problems
    async def GetTranscript(
        self, request: transcripts_pb2.GetTranscriptRequest, context: grpc.aio.ServicerContext
    ) -> transcripts_pb2.Transcript:
        caller = await self._auth.caller_of(context, Scope.READ)
        if request.format not in _FORMATS:
            raise ProblemError("validation_failed", f"format: unknown value {request.format}")
        content_type, body = await transcriptions.get_transcript(
            self._transcription, tenant_id=caller.tenant_id, asset_id=request.asset_id, format=_FORMATS[request.format]
        )
        return transcripts_pb2.Transcript(content_type=content_type, body=body)

    @answers_problems
    async def SearchTranscripts(
        self, request: transcripts_pb2.SearchTranscriptsRequest, context: grpc.aio.ServicerContext
    ) -> transcripts_pb2.SearchTranscriptsResponse:
        caller = await self._auth.caller_of(context, Scope.READ)
        query = request.query.strip()
        if not query or len(query) > _MAX_QUERY or request.limit > _MAX_HITS:
            raise ProblemError("validation_failed", f"query: 1 to {_MAX_QUERY} characters; limit: at most {_MAX_HITS}")
        page = await transcriptions.search(
            self._transcription, tenant_id=caller.tenant_id, query=query, limit=request.limit or _DEFAULT_HITS
        )
        return transcripts_pb2.SearchTranscriptsResponse(
            hits=[transcripts_pb2.TranscriptHit(**hit.model_dump()) for hit in page.items]
        )
