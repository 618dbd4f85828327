"""The ``reelforge.transcription.v1.Transcription`` gRPC service, called by the gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import grpc
import numpy as np

from reelforge.events.v1.transcription_pb2 import TranscriptionRequested
from reelforge.transcription.v1 import transcription_pb2, transcription_pb2_grpc
from reelforge.transcription.v1.transcription_pb2 import TranscriptFormat
from reelforge_common.db import Database
from reelforge_common.grpc_server import refuse
from reelforge_common.storage import ObjectStore
from reelforge_transcription import search, store, subtitles
from reelforge_transcription.embeddings import Embedder, from_bytes, rank
from reelforge_transcription.engine import Engine
from reelforge_transcription.transcribing import EVENTS, new_transcript_id
from reelforge_transcription.transcript import Transcript

SERVICE_NAME = "reelforge.transcription.v1.Transcription"
_DEFAULT_HITS, _MAX_HITS, _MAX_QUERY = 20, 100, 500
_MAX_TEXTS = 2000
_RENDERINGS: dict[int, tuple[str, Callable[[Transcript], str]]] = {
    TranscriptFormat.TRANSCRIPT_FORMAT_SRT: ("application/x-subrip", subtitles.srt),
    TranscriptFormat.TRANSCRIPT_FORMAT_VTT: ("text/vtt", subtitles.vtt),
    TranscriptFormat.TRANSCRIPT_FORMAT_TXT: ("text/plain", subtitles.plain_text),
}


class TranscriptionService(transcription_pb2_grpc.TranscriptionServicer):
    def __init__(self, db: Database, store_: ObjectStore, engine: Engine, embedder: Embedder) -> None:
        self._db = db
        self._store = store_
        self._engine = engine
        self._embedder = embedder

    def register(self, server: grpc.aio.Server) -> None:
        transcription_pb2_grpc.add_TranscriptionServicer_to_server(self, server)

    async def RequestTranscription(
        self, request: transcription_pb2.TranscriptionRequest, context: grpc.aio.ServicerContext
    ) -> transcription_pb2.TranscriptionAccepted:
        if request.language and request.language.strip().lower() not in self._engine.supported_languages():
            await refuse(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "unsupported_language",
                f"{request.language!r} is not a language the model knows; leave it empty to detect",
            )
        if request.model and request.model != self._engine.model_name:
            await refuse(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "unsupported_model",
                f"this deployment transcribes with {self._engine.model_name!r}",
            )
        earlier = await store.transcript_for_job(self._db.pool, tenant_id=request.tenant_id, job_id=request.job_id)
        if earlier is not None:  # a retried request: the job exists already
            return transcription_pb2.TranscriptionAccepted(transcript_id=earlier.id)
        transcript_id = new_transcript_id()
        requested = TranscriptionRequested(
            asset_id=request.asset_id,
            language=request.language,
            model=self._engine.model_name,
            word_timestamps=request.word_timestamps,
            prompt=request.prompt,
            hotwords=request.hotwords,
        )
        async with self._db.transaction() as conn:
            await store.create_transcript(
                conn,
                tenant_id=request.tenant_id,
                transcript_id=transcript_id,
                asset_id=request.asset_id,
                job_id=request.job_id,
                requested_language=request.language,
                prompt=request.prompt,
                hotwords=request.hotwords,
                word_timestamps=request.word_timestamps,
                model=self._engine.model_name,
            )
            await EVENTS.emit(conn, "requested", requested, tenant_id=request.tenant_id, job_id=request.job_id)
        return transcription_pb2.TranscriptionAccepted(transcript_id=transcript_id)

    async def GetTranscript(
        self, request: transcription_pb2.GetTranscriptRequest, context: grpc.aio.ServicerContext
    ) -> transcription_pb2.TranscriptDocument:
        if request.transcript_id:
            row = await store.transcript_by_id(
                self._db.pool, tenant_id=request.tenant_id, transcript_id=request.transcript_id
            )
            if row is not None and row.asset_id != request.asset_id:
                row = None
        else:
            row = await store.latest_transcript(self._db.pool, tenant_id=request.tenant_id, asset_id=request.asset_id)
        if row is None:
            await refuse(context, grpc.StatusCode.NOT_FOUND, "not_found", f"no transcript of asset {request.asset_id}")
        if row.status == "failed":
            await refuse(
                context,
                grpc.StatusCode.FAILED_PRECONDITION,
                "transcript_failed",
                f"the latest transcription of this asset failed ({row.error_code})",
            )
        if row.status != "completed":
            await refuse(
                context, grpc.StatusCode.FAILED_PRECONDITION, "transcript_not_ready", f"the transcript is {row.status}"
            )
        document = await self._store.read(row.document_key)
        if request.format in _RENDERINGS:
            content_type, render = _RENDERINGS[request.format]
            body = render(Transcript.from_json(json.loads(document)))
        else:
            content_type, body = "application/json", document.decode()
        return transcription_pb2.TranscriptDocument(transcript_id=row.id, content_type=content_type, body=body)

    async def SearchTranscripts(
        self, request: transcription_pb2.SearchRequest, context: grpc.aio.ServicerContext
    ) -> transcription_pb2.SearchResponse:
        query = request.query.strip()
        if not query or len(query) > _MAX_QUERY:
            await refuse(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "validation_failed",
                f"query: 1 to {_MAX_QUERY} characters",
            )
        limit = min(request.limit or _DEFAULT_HITS, _MAX_HITS)
        fulltext = await store.search_segments(
            self._db.pool, tenant_id=request.tenant_id, query=query, limit=search.CANDIDATES
        )
        segments, embeddings = await store.embedded_segments(self._db.pool, tenant_id=request.tenant_id)
        semantic: list[store.SegmentHit] = []
        if segments:
            query_vector = (await asyncio.to_thread(self._embedder.encode, [query]))[0]
            vectors = np.stack([from_bytes(data) for data in embeddings])
            semantic = [
                segments[index]
                for index, similarity in rank(query_vector, vectors, search.CANDIDATES)
                if similarity >= search.MIN_SIMILARITY
            ]
        hits = search.fuse(fulltext, semantic, query=query, limit=limit)
        return transcription_pb2.SearchResponse(
            hits=[
                transcription_pb2.SearchHit(
                    asset_id=hit.asset_id,
                    transcript_id=hit.transcript_id,
                    start_s=hit.start_s,
                    end_s=hit.end_s,
                    text=hit.text,
                    score=hit.score,
                )
                for hit in hits
            ]
        )

    async def EmbedTexts(
        self, request: transcription_pb2.EmbedRequest, context: grpc.aio.ServicerContext
    ) -> transcription_pb2.EmbedResponse:
        if len(request.texts) > _MAX_TEXTS:
            await refuse(context, grpc.StatusCode.INVALID_ARGUMENT, "validation_failed", f"texts: at most {_MAX_TEXTS}")
        if not request.texts:
            return transcription_pb2.EmbedResponse()
        vectors = await asyncio.to_thread(self._embedder.encode, list(request.texts))
        return transcription_pb2.EmbedResponse(
            embeddings=[transcription_pb2.Embedding(values=vector.tolist()) for vector in vectors]
        )
