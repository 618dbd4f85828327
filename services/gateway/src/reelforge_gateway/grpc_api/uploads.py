"""``reelforge.api.v1.Uploads`` (presigned multipart) and ``Imports`` (URLs)."""

from __future__ import annotations

import asyncpg
import grpc
from google.protobuf import empty_pb2

from reelforge.api.v1 import assets_pb2, assets_pb2_grpc
from reelforge_gateway.api.asset_schemas import ImportCreate, UploadCreate
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.grpc_api import messages
from reelforge_gateway.grpc_api.auth import Authenticator
from reelforge_gateway.grpc_api.errors import answers_problems, validated
from reelforge_gateway.internal import IngestClient
from reelforge_gateway.keys import Scope
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations import uploads


class UploadsService(assets_pb2_grpc.UploadsServicer):
    def __init__(
        self, auth: Authenticator, pool: asyncpg.Pool, settings: GatewaySettings, ingest: IngestClient, feed: JobFeed
    ) -> None:
        self._auth = auth
        self._pool = pool
        self._settings = settings
        self._ingest = ingest
        self._feed = feed

    @answers_problems
    async def CreateUpload(
        self, request: assets_pb2.CreateUploadRequest, context: grpc.aio.ServicerContext
    ) -> assets_pb2.Upload:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        optional = {"content_type": request.content_type} if request.content_type else {}
        body = validated(UploadCreate, filename=request.filename, size_bytes=request.size_bytes, **optional)
        upload = await uploads.create_upload(
            self._pool,
            self._settings,
            self._ingest,
            tenant_id=caller.tenant_id,
            filename=body.filename,
            size_bytes=body.size_bytes,
            content_type=body.content_type,
        )
        return messages.upload(upload)

    @answers_problems
    async def GetUpload(
        self, request: assets_pb2.GetUploadRequest, context: grpc.aio.ServicerContext
    ) -> assets_pb2.Upload:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        return messages.upload(
            await uploads.get_upload(self._ingest, tenant_id=caller.tenant_id, asset_id=request.asset_id)
        )

    @answers_problems
    async def CompleteUpload(
        self, request: assets_pb2.CompleteUploadRequest, context: grpc.aio.ServicerContext
    ) -> assets_pb2.Asset:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        asset = await uploads.complete_upload(
            self._ingest, self._feed, tenant_id=caller.tenant_id, asset_id=request.asset_id
        )
        return messages.asset(asset)

    @answers_problems
    async def AbortUpload(
        self, request: assets_pb2.AbortUploadRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        await uploads.abort_upload(self._ingest, tenant_id=caller.tenant_id, asset_id=request.asset_id)
        return empty_pb2.Empty()


class ImportsService(assets_pb2_grpc.ImportsServicer):
    def __init__(
        self, auth: Authenticator, pool: asyncpg.Pool, settings: GatewaySettings, ingest: IngestClient, feed: JobFeed
    ) -> None:
        self._auth = auth
        self._pool = pool
        self._settings = settings
        self._ingest = ingest
        self._feed = feed

    @answers_problems
    async def CreateImport(
        self, request: assets_pb2.CreateImportRequest, context: grpc.aio.ServicerContext
    ) -> assets_pb2.Asset:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        body = validated(ImportCreate, url=request.url, filename=request.filename)
        asset = await uploads.import_url(
            self._pool,
            self._settings,
            self._ingest,
            self._feed,
            tenant_id=caller.tenant_id,
            url=str(body.url),
            filename=body.filename,
        )
        return messages.asset(asset)
