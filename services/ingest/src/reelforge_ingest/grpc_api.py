"""The ``reelforge.ingest.v1.Ingest`` gRPC service, called by the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import datetime, timedelta
from typing import NoReturn

import grpc
from google.protobuf import empty_pb2

from reelforge.events.v1.asset_pb2 import AssetDeleted
from reelforge.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from reelforge.ingest.v1.ingest_pb2 import Asset, AssetRef, UploadChunk
from reelforge_common.bus import new_envelope
from reelforge_common.db import Database, add_to_outbox
from reelforge_common.grpc_server import refuse
from reelforge_common.pagination import decode_cursor, encode_cursor
from reelforge_common.proto_time import timestamp
from reelforge_common.storage import ObjectStore
from reelforge_ingest import store as assets
from reelforge_ingest.announce import PRODUCER
from reelforge_ingest.intake import Intake, NewAsset, PresignedUpload
from reelforge_ingest.refusals import RefusedError
from reelforge_ingest.store import AssetRow

_URL_TTL = timedelta(minutes=15)
_MAX_PAGE = 200


class IngestService(ingest_pb2_grpc.IngestServicer):
    def __init__(self, db: Database, store: ObjectStore, intake: Intake) -> None:
        self._db = db
        self._store = store
        self._intake = intake

    def register(self, server: grpc.aio.Server) -> None:
        ingest_pb2_grpc.add_IngestServicer_to_server(self, server)

    async def Upload(self, request_iterator: AsyncIterator[UploadChunk], context: grpc.aio.ServicerContext) -> Asset:
        first = await anext(aiter(request_iterator), None)
        if first is None or not first.HasField("start"):
            await _abort(context, RefusedError("validation_failed", "the first message must be `start`"))
        start = first.start
        new = NewAsset(start.tenant_id, start.job_id, start.filename, start.content_type, start.quota)

        async def data() -> AsyncIterator[bytes]:
            async for chunk in request_iterator:
                yield chunk.data

        return await self._answer(context, self._intake.upload(new, data()))

    async def CreateMultipartUpload(
        self, request: ingest_pb2.CreateMultipartUploadRequest, context: grpc.aio.ServicerContext
    ) -> ingest_pb2.MultipartUpload:
        new = NewAsset(request.tenant_id, request.job_id, request.filename, request.content_type, request.quota)
        try:
            upload = await self._intake.create_multipart(new, request.size_bytes)
        except RefusedError as refusal:
            await _abort(context, refusal)
        return _multipart(upload)

    async def GetMultipartUpload(
        self, request: AssetRef, context: grpc.aio.ServicerContext
    ) -> ingest_pb2.MultipartUpload:
        try:
            upload = await self._intake.get_multipart(request.tenant_id, request.asset_id)
        except RefusedError as refusal:
            await _abort(context, refusal)
        return _multipart(upload)

    async def CompleteMultipartUpload(
        self, request: ingest_pb2.CompleteMultipartUploadRequest, context: grpc.aio.ServicerContext
    ) -> Asset:
        return await self._answer(context, self._intake.complete_multipart(request.tenant_id, request.asset_id))

    async def AbortMultipartUpload(self, request: AssetRef, context: grpc.aio.ServicerContext) -> empty_pb2.Empty:
        try:
            await self._intake.abort_multipart(request.tenant_id, request.asset_id)
        except RefusedError as refusal:
            await _abort(context, refusal)
        return empty_pb2.Empty()

    async def ImportUrl(self, request: ingest_pb2.ImportUrlRequest, context: grpc.aio.ServicerContext) -> Asset:
        new = NewAsset(request.tenant_id, request.job_id, request.filename, "", request.quota)
        return await self._answer(context, self._intake.import_url(new, request.url))

    async def GetAsset(self, request: AssetRef, context: grpc.aio.ServicerContext) -> Asset:
        asset = await assets.get_asset(self._db.pool, request.tenant_id, request.asset_id)
        if asset is None:
            await _abort(context, RefusedError("not_found", f"no asset {request.asset_id}"))
        return await self._view(asset)

    async def ListAssets(
        self, request: ingest_pb2.ListAssetsRequest, context: grpc.aio.ServicerContext
    ) -> ingest_pb2.ListAssetsResponse:
        limit = min(request.limit or 50, _MAX_PAGE)
        try:
            after = decode_cursor(request.cursor) if request.cursor else None
        except ValueError as exc:
            await _abort(context, RefusedError("validation_failed", f"cursor: {exc}"))
        rows = await assets.list_assets(
            self._db.pool, request.tenant_id, limit=limit + 1, status=request.status or None, after=after
        )
        page = rows[:limit]
        cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else ""
        return ingest_pb2.ListAssetsResponse(assets=[await self._view(a) for a in page], next_cursor=cursor)

    async def DeleteAsset(self, request: AssetRef, context: grpc.aio.ServicerContext) -> empty_pb2.Empty:
        async with self._db.transaction() as conn:
            asset = await assets.get_asset(conn, request.tenant_id, request.asset_id, lock=True)
            if asset is None:
                await _abort(context, RefusedError("not_found", f"no asset {request.asset_id}"))
            if asset.upload_id:
                await self._store.abort_multipart(asset.original_key, asset.upload_id)
            # Objects first: if deleting them fails, the row (and the asset) stays.
            await self._store.delete_prefix(self._intake.asset_prefix(asset.tenant_id, asset.id))
            await assets.delete_asset(conn, asset.tenant_id, asset.id)
            envelope = new_envelope(
                event_type="asset.deleted",
                tenant_id=asset.tenant_id,
                payload=AssetDeleted(asset_id=asset.id),
                producer=PRODUCER,
            )
            await add_to_outbox(conn, envelope)
        return empty_pb2.Empty()

    async def GetDownloadUrl(self, request: AssetRef, context: grpc.aio.ServicerContext) -> ingest_pb2.DownloadUrl:
        asset = await assets.get_asset(self._db.pool, request.tenant_id, request.asset_id)
        if asset is None:
            await _abort(context, RefusedError("not_found", f"no asset {request.asset_id}"))
        if asset.status not in {"processing", "ready"}:
            await _abort(context, RefusedError("conflict", f"asset {asset.id} has no stored file ({asset.status})"))
        url = await self._store.presigned_get(asset.original_key, _URL_TTL)
        return ingest_pb2.DownloadUrl(url=url, expires_at=timestamp(datetime.now().astimezone() + _URL_TTL))

    async def _answer(self, context: grpc.aio.ServicerContext, work: Awaitable[AssetRow]) -> Asset:
        try:
            asset = await work
        except RefusedError as refusal:
            await _abort(context, refusal)
        return await self._view(asset)

    async def _view(self, asset: AssetRow) -> Asset:
        message = Asset(
            id=asset.id,
            tenant_id=asset.tenant_id,
            job_id=asset.job_id,
            status=asset.status,
            filename=asset.filename,
            content_type=asset.content_type,
            size_bytes=asset.size_bytes,
            source=asset.source,
            source_url=asset.source_url,
            error_code=asset.error_code or "",
            error_message=asset.error_message or "",
            created_at=timestamp(asset.created_at),
            updated_at=timestamp(asset.updated_at),
        )
        if asset.media is not None:
            message.media.CopyFrom(asset.media)
        for name, key in asset.derivatives.items():
            message.derivative_urls[name] = await self._store.presigned_get(key, _URL_TTL)
        return message


async def _abort(context: grpc.aio.ServicerContext, refusal: RefusedError) -> NoReturn:
    await refuse(context, refusal.grpc_status, refusal.code, refusal.detail)


def _multipart(upload: PresignedUpload) -> ingest_pb2.MultipartUpload:
    asset = upload.asset
    return ingest_pb2.MultipartUpload(
        asset_id=asset.id,
        job_id=asset.job_id,
        size_bytes=asset.size_bytes,
        part_size=asset.part_size or 0,
        part_count=upload.part_count,
        parts=[ingest_pb2.PartUrl(number=n, url=url) for n, url in sorted(upload.urls.items())],
        uploaded=[ingest_pb2.UploadedPart(number=p.number, size=p.size) for p in upload.uploaded],
        expires_at=timestamp(upload.expires_at),
    )
