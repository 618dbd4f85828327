"""``reelforge.api.v1.Assets``: streamed upload, get, list, delete, download."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import grpc
from google.protobuf import empty_pb2

from reelforge.api.v1 import assets_pb2, assets_pb2_grpc
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.grpc_api import messages
from reelforge_gateway.grpc_api.auth import Authenticator
from reelforge_gateway.grpc_api.errors import answers_problems
from reelforge_gateway.internal import IngestClient
from reelforge_gateway.keys import Scope
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations import accepted, assets
from reelforge_gateway.operations.paging import DEFAULT_PAGE
from reelforge_gateway.problems import ProblemError

_MAX_FILENAME = 255
_MAX_CONTENT_TYPE = 100
_OCTET_STREAM = "application/octet-stream"


class AssetsService(assets_pb2_grpc.AssetsServicer):
    def __init__(
        self, auth: Authenticator, pool: asyncpg.Pool, settings: GatewaySettings, ingest: IngestClient, feed: JobFeed
    ) -> None:
        self._auth = auth
        self._pool = pool
        self._settings = settings
        self._ingest = ingest
        self._feed = feed

    @answers_problems
    async def Upload(
        self, request_iterator: AsyncIterator[assets_pb2.UploadRequest], context: grpc.aio.ServicerContext
    ) -> assets_pb2.Asset:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        requests = aiter(request_iterator)
        first = await anext(requests, None)
        if first is None or not first.HasField("metadata"):
            raise ProblemError("validation_failed", "the first message must be `metadata`")
        metadata = first.metadata
        if not 1 <= len(metadata.filename) <= _MAX_FILENAME:
            raise ProblemError("validation_failed", f"metadata.filename: 1 to {_MAX_FILENAME} characters")
        if len(metadata.content_type) > _MAX_CONTENT_TYPE:
            raise ProblemError("validation_failed", f"metadata.content_type: at most {_MAX_CONTENT_TYPE} characters")
        size = metadata.size_bytes if metadata.HasField("size_bytes") else None
        quotas = await accepted.admit(self._pool, self._settings, tenant_id=caller.tenant_id, size_bytes=size)
        asset = await assets.upload_asset(
            self._ingest,
            self._feed,
            tenant_id=caller.tenant_id,
            quotas=quotas,
            filename=metadata.filename,
            content_type=metadata.content_type or _OCTET_STREAM,
            chunks=_data(requests),
        )
        return messages.asset(asset)

    @answers_problems
    async def GetAsset(
        self, request: assets_pb2.GetAssetRequest, context: grpc.aio.ServicerContext
    ) -> assets_pb2.Asset:
        caller = await self._auth.caller_of(context, Scope.READ)
        return messages.asset(
            await assets.get_asset(self._ingest, tenant_id=caller.tenant_id, asset_id=request.asset_id)
        )

    @answers_problems
    async def ListAssets(
        self, request: assets_pb2.ListAssetsRequest, context: grpc.aio.ServicerContext
    ) -> assets_pb2.ListAssetsResponse:
        caller = await self._auth.caller_of(context, Scope.READ)
        page = await assets.list_assets(
            self._ingest,
            tenant_id=caller.tenant_id,
            status=messages.asset_status_filter(request.status),
            limit=request.limit or DEFAULT_PAGE,
            cursor=request.cursor or None,
        )
        return assets_pb2.ListAssetsResponse(
            assets=[messages.asset(a) for a in page.items], next_cursor=page.next_cursor or ""
        )

    @answers_problems
    async def DeleteAsset(
        self, request: assets_pb2.DeleteAssetRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        await assets.delete_asset(self._ingest, tenant_id=caller.tenant_id, asset_id=request.asset_id)
        return empty_pb2.Empty()

    @answers_problems
    async def GetDownloadUrl(
        self, request: assets_pb2.GetDownloadUrlRequest, context: grpc.aio.ServicerContext
    ) -> assets_pb2.DownloadUrl:
        caller = await self._auth.caller_of(context, Scope.READ)
        url = await assets.download_url(self._ingest, tenant_id=caller.tenant_id, asset_id=request.asset_id)
        return messages.download_url(url)


async def _data(requests: AsyncIterator[assets_pb2.UploadRequest]) -> AsyncIterator[bytes]:
    async for request in requests:
        if not request.HasField("data"):
            raise ProblemError("validation_failed", "only the first message may be `metadata`")
        if request.data:
            yield request.data
