"""Assets: streaming upload, list, get, delete, download."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Annotated, Literal

import grpc
from fastapi import APIRouter, Query, Request, status

from reelforge.ingest.v1 import ingest_pb2
from reelforge_gateway.api.accepted import new_job_id, record_job
from reelforge_gateway.api.asset_schemas import Asset, AssetPage, DownloadUrl
from reelforge_gateway.api.deps import Feed, Ingest, Pool, Reader, Settings, Writer
from reelforge_gateway.form_stream import FormFile
from reelforge_gateway.ingest_client import calling_ingest, problem_from
from reelforge_gateway.problems import ProblemError, documented
from reelforge_gateway.quotas import admit_job, quotas_of

router = APIRouter(prefix="/v1/assets", tags=["assets"], responses=documented("unauthenticated", "forbidden"))
# Room for the multipart framing around the file in a Content-Length.
_FORM_OVERHEAD = 64 * 1024
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
AssetStatus = Literal["uploading", "importing", "processing", "ready", "failed"]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_BODY,
    responses=documented(
        "validation_failed",
        "empty_upload",
        "unsupported_media",
        "playlist_refused",
        "media_unreadable",
        "media_too_large",
        "media_too_long",
        "duration_quota_exceeded",
        "upload_too_large",
        "concurrent_jobs_exceeded",
        "monthly_minutes_exceeded",
        "unavailable",
    ),
)
async def upload_asset(
    request: Request, caller: Writer, pool: Pool, ingest: Ingest, settings: Settings, feed: Feed
) -> Asset:
    """Upload a file as `multipart/form-data` (field `file`). It streams to
    storage as it arrives and is validated (format, limits, quotas) before
    this answers; derivatives are then made by the asset's job
    (`status: processing` until `ready`)."""
    quotas = await quotas_of(pool, caller.tenant_id, settings)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > quotas.max_upload_bytes + _FORM_OVERHEAD:
        raise ProblemError("upload_too_large", f"the upload quota is {quotas.max_upload_bytes} bytes")
    await admit_job(pool, caller.tenant_id, quotas)
    form = FormFile(request.stream(), request.headers.get("content-type", ""))
    await form.open()
    start = ingest_pb2.UploadStart(
        tenant_id=caller.tenant_id,
        job_id=new_job_id(),
        filename=form.filename,
        content_type=form.content_type,
        quota=quotas.for_ingest,
    )
    failures: list[Exception] = []

    async def messages() -> AsyncIterator[ingest_pb2.UploadChunk]:
        yield ingest_pb2.UploadChunk(start=start)
        try:
            async for chunk in form.chunks():
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
            raise problem_from(exc) from exc
        raise
    await record_job(feed, asset)
    return Asset.from_message(asset)


@router.get("", responses=documented("validation_failed"))
async def list_assets(
    caller: Reader,
    ingest: Ingest,
    status: AssetStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> AssetPage:
    """The caller's assets, newest first, a page at a time."""
    request = ingest_pb2.ListAssetsRequest(
        tenant_id=caller.tenant_id, status=status or "", limit=limit, cursor=cursor or ""
    )
    page = await calling_ingest(lambda: ingest.stub.ListAssets(request, timeout=ingest.timeout_s))
    return AssetPage(items=[Asset.from_message(a) for a in page.assets], next_cursor=page.next_cursor or None)


@router.get("/{asset_id}", responses=documented("not_found"))
async def get_asset(asset_id: str, caller: Reader, ingest: Ingest) -> Asset:
    """One asset, with presigned URLs of its derivatives once ready."""
    ref = ingest_pb2.AssetRef(tenant_id=caller.tenant_id, asset_id=asset_id)
    return Asset.from_message(await calling_ingest(lambda: ingest.stub.GetAsset(ref, timeout=ingest.timeout_s)))


@router.delete("/{asset_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found"))
async def delete_asset(asset_id: str, caller: Writer, ingest: Ingest) -> None:
    """Delete the asset: its file, its derivatives and its record."""
    ref = ingest_pb2.AssetRef(tenant_id=caller.tenant_id, asset_id=asset_id)
    await calling_ingest(lambda: ingest.stub.DeleteAsset(ref, timeout=ingest.timeout_s))


@router.get("/{asset_id}/download", responses=documented("not_found", "conflict"))
async def download_asset(asset_id: str, caller: Reader, ingest: Ingest) -> DownloadUrl:
    """A presigned URL (15 minutes) to download the original file."""
    ref = ingest_pb2.AssetRef(tenant_id=caller.tenant_id, asset_id=asset_id)
    url = await calling_ingest(lambda: ingest.stub.GetDownloadUrl(ref, timeout=ingest.timeout_s))
    return DownloadUrl(url=url.url, expires_at=url.expires_at.ToDatetime(tzinfo=UTC))
