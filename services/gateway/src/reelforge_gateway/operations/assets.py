"""Assets: streamed upload, list, get, delete, download."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC

import grpc

from reelforge.ingest.v1 import ingest_pb2
from reelforge_gateway.api.asset_schemas import Asset, AssetPage, DownloadUrl
from reelforge_gateway.internal import IngestClient
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import new_job_id, record_ingest_job
from reelforge_gateway.operations.paging import page_size
from reelforge_gateway.quotas import TenantQuotas


async def upload_asset(
    ingest: IngestClient,
    feed: JobFeed,
    *,
    tenant_id: str,
    quotas: TenantQuotas,
    filename: str,
    content_type: str,
    chunks: AsyncIterator[bytes],
) -> Asset:
    """Stream ``chunks`` to ingest as a new asset of a tenant admitted with
    ``quotas`` (``accepted.admit``); answers once the file is validated. A
    ``ProblemError`` raised by ``chunks`` (the client's stream was malformed)
    is raised as it is."""
    start = ingest_pb2.UploadStart(
        tenant_id=tenant_id,
        job_id=new_job_id(),
        filename=filename,
        content_type=content_type,
        quota=quotas.for_ingest,
    )
    failures: list[Exception] = []

    async def messages() -> AsyncIterator[ingest_pb2.UploadChunk]:
        yield ingest_pb2.UploadChunk(start=start)
        try:
            async for chunk in chunks:
                yield ingest_pb2.UploadChunk(data=chunk)
        except Exception as exc:
            failures.append(exc)  # the call is cancelled; the reason is raised below
            raise

    try:
        asset = await ingest.stub.Upload(messages())
    except (grpc.aio.AioRpcError, asyncio.CancelledError) as exc:
        if failures:
            raise failures[0] from None
        if isinstance(exc, grpc.aio.AioRpcError):
            raise ingest.problem_from(exc) from exc
        raise
    await record_ingest_job(feed, asset)
    return Asset.from_message(asset)


async def list_assets(
    ingest: IngestClient, *, tenant_id: str, status: str | None, limit: int, cursor: str | None
) -> AssetPage:
    """The tenant's assets, newest first, a page at a time."""
    request = ingest_pb2.ListAssetsRequest(
        tenant_id=tenant_id, status=status or "", limit=page_size(limit), cursor=cursor or ""
    )
    page = await ingest.calling(lambda: ingest.stub.ListAssets(request, timeout=ingest.timeout_s))
    return AssetPage(items=[Asset.from_message(a) for a in page.assets], next_cursor=page.next_cursor or None)


async def get_asset(ingest: IngestClient, *, tenant_id: str, asset_id: str) -> Asset:
    """One asset, with presigned URLs of its derivatives once ready."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    return Asset.from_message(await ingest.calling(lambda: ingest.stub.GetAsset(ref, timeout=ingest.timeout_s)))


async def delete_asset(ingest: IngestClient, *, tenant_id: str, asset_id: str) -> None:
    """Delete the asset: its file, its derivatives and its record."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    await ingest.calling(lambda: ingest.stub.DeleteAsset(ref, timeout=ingest.timeout_s))


async def download_url(ingest: IngestClient, *, tenant_id: str, asset_id: str) -> DownloadUrl:
    """A presigned URL (15 minutes) to download the original file."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    url = await ingest.calling(lambda: ingest.stub.GetDownloadUrl(ref, timeout=ingest.timeout_s))
    return DownloadUrl(url=url.url, expires_at=url.expires_at.ToDatetime(tzinfo=UTC))
