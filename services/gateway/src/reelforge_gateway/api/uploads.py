"""Presigned multipart uploads: large files go straight to object storage."""

from __future__ import annotations

from fastapi import APIRouter, status

from reelforge_gateway.api.asset_schemas import Asset, Upload, UploadCreate
from reelforge_gateway.api.deps import Feed, Ingest, Pool, Settings, Writer
from reelforge_gateway.api.links import follow
from reelforge_gateway.operations import uploads
from reelforge_gateway.problems import documented

router = APIRouter(prefix="/v1/uploads", tags=["uploads"], responses=documented("unauthenticated", "forbidden"))
_REFUSALS = (
    "empty_upload",
    "unsupported_media",
    "playlist_refused",
    "media_unreadable",
    "media_too_large",
    "media_too_long",
    "duration_quota_exceeded",
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        **documented(
            "validation_failed",
            "empty_upload",
            "upload_too_large",
            "concurrent_jobs_exceeded",
            "monthly_minutes_exceeded",
        ),
        **follow(201, "/v1/uploads/{asset_id}", "asset_id", "get", "delete", field="asset_id"),
    },
)
async def create_upload(body: UploadCreate, caller: Writer, pool: Pool, ingest: Ingest, settings: Settings) -> Upload:
    """Start an upload of `size_bytes`: PUT each part to its presigned URL
    (no Authorization header), then `POST /v1/uploads/{asset_id}/complete`.
    An interrupted upload resumes: `GET /v1/uploads/{asset_id}` lists the
    parts stored and fresh URLs for the rest."""
    return await uploads.create_upload(
        pool,
        settings,
        ingest,
        tenant_id=caller.tenant_id,
        filename=body.filename,
        size_bytes=body.size_bytes,
        content_type=body.content_type,
    )


@router.get("/{asset_id}", responses=documented("not_found", "conflict"))
async def get_upload(asset_id: str, caller: Writer, ingest: Ingest) -> Upload:
    """The parts stored so far, and fresh URLs for the parts still missing."""
    return await uploads.get_upload(ingest, tenant_id=caller.tenant_id, asset_id=asset_id)


@router.post("/{asset_id}/complete", responses=documented("not_found", "conflict", "upload_incomplete", *_REFUSALS))
async def complete_upload(asset_id: str, caller: Writer, ingest: Ingest, feed: Feed) -> Asset:
    """Assemble the parts and validate the file; a refused file is deleted."""
    return await uploads.complete_upload(ingest, feed, tenant_id=caller.tenant_id, asset_id=asset_id)


@router.delete("/{asset_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found", "conflict"))
async def abort_upload(asset_id: str, caller: Writer, ingest: Ingest) -> None:
    """Abandon an upload: its stored parts are discarded."""
    await uploads.abort_upload(ingest, tenant_id=caller.tenant_id, asset_id=asset_id)
