"""Presigned multipart uploads: large files go straight to object storage."""

from __future__ import annotations

from fastapi import APIRouter, status

from reelforge.ingest.v1 import ingest_pb2
from reelforge_gateway.api.accepted import new_job_id, record_job
from reelforge_gateway.api.asset_schemas import Asset, Upload, UploadCreate
from reelforge_gateway.api.deps import Feed, Ingest, Pool, Settings, Writer
from reelforge_gateway.ingest_client import calling_ingest
from reelforge_gateway.problems import documented
from reelforge_gateway.quotas import admit_job, quotas_of

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
    responses=documented(
        "validation_failed", "empty_upload", "upload_too_large", "concurrent_jobs_exceeded", "monthly_minutes_exceeded"
    ),
)
async def create_upload(body: UploadCreate, caller: Writer, pool: Pool, ingest: Ingest, settings: Settings) -> Upload:
    """Start an upload of `size_bytes`: PUT each part to its presigned URL
    (no Authorization header), then `POST /v1/uploads/{asset_id}/complete`.
    An interrupted upload resumes: `GET /v1/uploads/{asset_id}` lists the
    parts stored and fresh URLs for the rest."""
    quotas = await quotas_of(pool, caller.tenant_id, settings)
    await admit_job(pool, caller.tenant_id, quotas)
    request = ingest_pb2.CreateMultipartUploadRequest(
        tenant_id=caller.tenant_id,
        job_id=new_job_id(),
        filename=body.filename,
        content_type=body.content_type,
        size_bytes=body.size_bytes,
        quota=quotas.for_ingest,
    )
    upload = await calling_ingest(lambda: ingest.stub.CreateMultipartUpload(request, timeout=ingest.timeout_s))
    return Upload.from_message(upload)


@router.get("/{asset_id}", responses=documented("not_found", "conflict"))
async def get_upload(asset_id: str, caller: Writer, ingest: Ingest) -> Upload:
    """The parts stored so far, and fresh URLs for the parts still missing."""
    ref = ingest_pb2.AssetRef(tenant_id=caller.tenant_id, asset_id=asset_id)
    return Upload.from_message(
        await calling_ingest(lambda: ingest.stub.GetMultipartUpload(ref, timeout=ingest.timeout_s))
    )


@router.post("/{asset_id}/complete", responses=documented("not_found", "conflict", "upload_incomplete", *_REFUSALS))
async def complete_upload(
    asset_id: str, caller: Writer, pool: Pool, ingest: Ingest, settings: Settings, feed: Feed
) -> Asset:
    """Assemble the parts and validate the file; a refused file is deleted."""
    request = ingest_pb2.CompleteMultipartUploadRequest(tenant_id=caller.tenant_id, asset_id=asset_id)
    # Validation downloads the file: allow time in proportion to large files.
    timeout = max(ingest.timeout_s, 600.0)
    asset = await calling_ingest(lambda: ingest.stub.CompleteMultipartUpload(request, timeout=timeout))
    await record_job(feed, asset)
    return Asset.from_message(asset)


@router.delete("/{asset_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found", "conflict"))
async def abort_upload(asset_id: str, caller: Writer, ingest: Ingest) -> None:
    """Abandon an upload: its stored parts are discarded."""
    ref = ingest_pb2.AssetRef(tenant_id=caller.tenant_id, asset_id=asset_id)
    await calling_ingest(lambda: ingest.stub.AbortMultipartUpload(ref, timeout=ingest.timeout_s))
