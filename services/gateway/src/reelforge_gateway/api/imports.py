"""URL imports."""

from __future__ import annotations

from fastapi import APIRouter, status

from reelforge.ingest.v1 import ingest_pb2
from reelforge_gateway.api.accepted import new_job_id, record_job
from reelforge_gateway.api.asset_schemas import Asset, ImportCreate
from reelforge_gateway.api.deps import Feed, Ingest, Pool, Settings, Writer
from reelforge_gateway.ingest_client import calling_ingest
from reelforge_gateway.problems import documented
from reelforge_gateway.quotas import admit_job, quotas_of

router = APIRouter(prefix="/v1/imports", tags=["assets"], responses=documented("unauthenticated", "forbidden"))


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(
        "validation_failed", "url_forbidden", "url_fetch_failed", "concurrent_jobs_exceeded", "monthly_minutes_exceeded"
    ),
)
async def import_url(
    body: ImportCreate, caller: Writer, pool: Pool, ingest: Ingest, settings: Settings, feed: Feed
) -> Asset:
    """Import media from an http(s) URL. The download runs as the asset's
    job (`status: importing`); addresses in private, loopback, link-local
    or metadata ranges are refused, at every redirect."""
    quotas = await quotas_of(pool, caller.tenant_id, settings)
    await admit_job(pool, caller.tenant_id, quotas)
    request = ingest_pb2.ImportUrlRequest(
        tenant_id=caller.tenant_id,
        job_id=new_job_id(),
        url=str(body.url),
        filename=body.filename,
        quota=quotas.for_ingest,
    )
    asset = await calling_ingest(lambda: ingest.stub.ImportUrl(request, timeout=ingest.timeout_s))
    await record_job(feed, asset)
    return Asset.from_message(asset)
