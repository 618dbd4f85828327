"""URL imports."""

from __future__ import annotations

from fastapi import APIRouter, status

from reelforge_gateway.api.asset_schemas import Asset, ImportCreate
from reelforge_gateway.api.deps import Feed, Ingest, Pool, Settings, Writer
from reelforge_gateway.operations import uploads
from reelforge_gateway.problems import documented

router = APIRouter(prefix="/v1/imports", tags=["assets"], responses=documented("unauthenticated", "forbidden"))


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(
        "validation_failed",
        "url_forbidden",
        "url_unresolvable",
        "url_fetch_failed",
        "concurrent_jobs_exceeded",
        "monthly_minutes_exceeded",
    ),
)
async def import_url(
    body: ImportCreate, caller: Writer, pool: Pool, ingest: Ingest, settings: Settings, feed: Feed
) -> Asset:
    """Import media from an http(s) URL. The download runs as the asset's
    job (`status: importing`); addresses in private, loopback, link-local
    or metadata ranges are refused, at every redirect."""
    return await uploads.import_url(
        pool, settings, ingest, feed, tenant_id=caller.tenant_id, url=str(body.url), filename=body.filename
    )
