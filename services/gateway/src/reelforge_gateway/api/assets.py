"""Assets: streaming upload, list, get, delete, download, frames."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from reelforge_gateway.api.asset_schemas import Asset, AssetPage, DownloadUrl, FramesCreate, FrameSet
from reelforge_gateway.api.deps import Clients, Feed, Ingest, Pool, Reader, Settings, Writer
from reelforge_gateway.api.links import follow
from reelforge_gateway.form_stream import FormFile
from reelforge_gateway.operations import accepted, assets
from reelforge_gateway.operations.paging import DEFAULT_PAGE, MAX_PAGE
from reelforge_gateway.problems import documented
from reelforge_gateway.quotas import quotas_of

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
    )
    | follow(201, "/v1/assets/{asset_id}", "asset_id", "get", "delete"),
)
async def upload_asset(
    request: Request, caller: Writer, pool: Pool, ingest: Ingest, settings: Settings, feed: Feed
) -> Asset:
    """Upload a file as `multipart/form-data` (field `file`). It streams to
    storage as it arrives and is validated (format, limits, quotas) before
    this answers; derivatives are then made by the asset's job
    (`status: processing` until `ready`)."""
    declared = request.headers.get("content-length", "")
    quotas = await accepted.admit(
        pool,
        settings,
        tenant_id=caller.tenant_id,
        size_bytes=int(declared) - _FORM_OVERHEAD if declared.isdigit() else None,
    )
    form = FormFile(request.stream(), request.headers.get("content-type", ""))
    await form.open()
    return await assets.upload_asset(
        ingest,
        feed,
        tenant_id=caller.tenant_id,
        quotas=quotas,
        filename=form.filename,
        content_type=form.content_type,
        chunks=form.chunks(),
    )


@router.get("", responses=documented("validation_failed"))
async def list_assets(
    caller: Reader,
    ingest: Ingest,
    status: AssetStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> AssetPage:
    """The caller's assets, newest first, a page at a time."""
    return await assets.list_assets(ingest, tenant_id=caller.tenant_id, status=status, limit=limit, cursor=cursor)


@router.get("/{asset_id}", responses=documented("not_found"))
async def get_asset(asset_id: str, caller: Reader, ingest: Ingest) -> Asset:
    """One asset, with presigned URLs of its derivatives once ready."""
    return await assets.get_asset(ingest, tenant_id=caller.tenant_id, asset_id=asset_id)


@router.delete("/{asset_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found"))
async def delete_asset(asset_id: str, caller: Writer, ingest: Ingest) -> None:
    """Delete the asset: its file, its derivatives and its record."""
    await assets.delete_asset(ingest, tenant_id=caller.tenant_id, asset_id=asset_id)


@router.get("/{asset_id}/download", responses=documented("not_found", "conflict"))
async def download_asset(asset_id: str, caller: Reader, ingest: Ingest) -> DownloadUrl:
    """A presigned URL (15 minutes) to download the original file."""
    return await assets.download_url(ingest, tenant_id=caller.tenant_id, asset_id=asset_id)


@router.post(
    "/{asset_id}/frames",
    status_code=status.HTTP_201_CREATED,
    responses=documented(
        "validation_failed",
        "not_found",
        "asset_not_ready",
        "asset_failed",
        "no_video",
        "upload_too_large",
        "unavailable",
    ),
)
async def extract_frames(
    asset_id: str, body: FramesCreate, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> FrameSet:
    """Still frames of a ready video asset at full resolution, each stored as
    a new image asset: the frame shown at or after each of up to 20
    `timestamps`, or the `first` or `last` frame. Use them as first frames
    (`image_asset_id`) or character references for generations. Each image
    asset is `processing` until ingest has made its thumbnail (an `ingest`
    job); a timestamp past the video's end is `validation_failed`."""
    quotas = await quotas_of(pool, caller.tenant_id, settings)
    return await assets.extract_frames(
        clients, feed, tenant_id=caller.tenant_id, asset_id=asset_id, quotas=quotas, body=body
    )
