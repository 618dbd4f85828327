"""Presigned multipart uploads and URL imports: the file reaches storage
without passing through the gateway."""

from __future__ import annotations

import asyncpg

from reelforge.ingest.v1 import ingest_pb2
from reelforge_gateway.api.asset_schemas import Asset, Upload
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import IngestClient
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import admit, new_job_id, record_ingest_job

# Completing validates the file, which ingest downloads first: allow time in
# proportion to large files.
_COMPLETE_TIMEOUT_S = 600.0


async def create_upload(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    ingest: IngestClient,
    *,
    tenant_id: str,
    filename: str,
    size_bytes: int,
    content_type: str,
) -> Upload:
    """Start a multipart upload of ``size_bytes``, with a presigned URL per part."""
    quotas = await admit(pool, settings, tenant_id=tenant_id)
    request = ingest_pb2.CreateMultipartUploadRequest(
        tenant_id=tenant_id,
        job_id=new_job_id(),
        filename=filename,
        content_type=content_type,
        size_bytes=size_bytes,
        quota=quotas.for_ingest,
    )
    upload = await ingest.calling(lambda: ingest.stub.CreateMultipartUpload(request, timeout=ingest.timeout_s))
    return Upload.from_message(upload)


async def get_upload(ingest: IngestClient, *, tenant_id: str, asset_id: str) -> Upload:
    """The parts stored so far, and fresh URLs for the parts still missing."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    return Upload.from_message(
        await ingest.calling(lambda: ingest.stub.GetMultipartUpload(ref, timeout=ingest.timeout_s))
    )


async def complete_upload(ingest: IngestClient, feed: JobFeed, *, tenant_id: str, asset_id: str) -> Asset:
    """Assemble the parts and validate the file; a refused file is deleted."""
    request = ingest_pb2.CompleteMultipartUploadRequest(tenant_id=tenant_id, asset_id=asset_id)
    timeout = max(ingest.timeout_s, _COMPLETE_TIMEOUT_S)
    asset = await ingest.calling(lambda: ingest.stub.CompleteMultipartUpload(request, timeout=timeout))
    await record_ingest_job(feed, asset)
    return Asset.from_message(asset)


async def abort_upload(ingest: IngestClient, *, tenant_id: str, asset_id: str) -> None:
    """Abandon an upload: its stored parts are discarded."""
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    await ingest.calling(lambda: ingest.stub.AbortMultipartUpload(ref, timeout=ingest.timeout_s))


async def import_url(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    ingest: IngestClient,
    feed: JobFeed,
    *,
    tenant_id: str,
    url: str,
    filename: str,
) -> Asset:
    """Import media from an http(s) URL as the asset's job."""
    quotas = await admit(pool, settings, tenant_id=tenant_id)
    request = ingest_pb2.ImportUrlRequest(
        tenant_id=tenant_id, job_id=new_job_id(), url=url, filename=filename, quota=quotas.for_ingest
    )
    asset = await ingest.calling(lambda: ingest.stub.ImportUrl(request, timeout=ingest.timeout_s))
    await record_ingest_job(feed, asset)
    return Asset.from_message(asset)
