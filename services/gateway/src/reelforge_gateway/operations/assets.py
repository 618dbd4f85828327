"""Assets: streamed upload, list, get, delete, download, frames."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC

import grpc

from reelforge.ingest.v1 import ingest_pb2
from reelforge.render.v1 import render_pb2
from reelforge_gateway.api.asset_schemas import Asset, AssetPage, DownloadUrl, Frame, FramesCreate, FrameSet
from reelforge_gateway.internal import IngestClient, InternalClients
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import new_job_id, record_ingest_job
from reelforge_gateway.operations.paging import page_size
from reelforge_gateway.problems import ProblemError
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
    return Asset.from_message(await _asset(ingest, tenant_id=tenant_id, asset_id=asset_id))


async def _asset(ingest: IngestClient, *, tenant_id: str, asset_id: str) -> ingest_pb2.Asset:
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    return await ingest.calling(lambda: ingest.stub.GetAsset(ref, timeout=ingest.timeout_s))


async def delete_asset(ingest: IngestClient, *, tenant_id: str, asset_id: str) -> None:
    """Delete the asset: its file, its derivatives and its record."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    await ingest.calling(lambda: ingest.stub.DeleteAsset(ref, timeout=ingest.timeout_s))


async def download_url(ingest: IngestClient, *, tenant_id: str, asset_id: str) -> DownloadUrl:
    """A presigned URL (15 minutes) to download the original file."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    url = await ingest.calling(lambda: ingest.stub.GetDownloadUrl(ref, timeout=ingest.timeout_s))
    return DownloadUrl(url=url.url, expires_at=url.expires_at.ToDatetime(tzinfo=UTC))


async def extract_frames(
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    asset_id: str,
    quotas: TenantQuotas,
    body: FramesCreate,
) -> FrameSet:
    """Still frames of a ready video asset, each a new image asset (render
    cuts them, ingest stores and processes them)."""
    ingest, render = clients.ingest, clients.render
    source = await _asset(ingest, tenant_id=tenant_id, asset_id=asset_id)
    if source.status == "failed":
        raise ProblemError("asset_failed", f"asset {asset_id} failed: {source.error_code}")
    if source.status != "ready":
        raise ProblemError("asset_not_ready", f"asset {asset_id} is {source.status}")
    if not source.media.has_video or source.media.is_image:
        raise ProblemError("no_video", f"asset {asset_id} has no video to take frames from")
    request = render_pb2.FramesRequest(
        tenant_id=tenant_id,
        request_id=new_job_id(),
        asset_id=asset_id,
        timestamps_s=body.timestamps or [],
        position=body.position or "",
        format=body.format,
        quality=body.quality,
        quota=quotas.for_ingest,
    )
    made = await render.calling(lambda: render.stub.ExtractFrames(request, timeout=render.timeout_s))
    frames = []
    for frame in made.frames:
        image = await _asset(ingest, tenant_id=tenant_id, asset_id=frame.asset_id)
        await record_ingest_job(feed, image)
        frames.append(Frame(timestamp_s=frame.timestamp_s, asset=Asset.from_message(image)))
    return FrameSet(frames=frames)
