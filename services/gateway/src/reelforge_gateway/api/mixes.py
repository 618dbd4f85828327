"""Mixes: variants for A/B posting, each joining one clip from every group."""

from __future__ import annotations

from fastapi import APIRouter, status

from reelforge_gateway.api.deps import Clients, Feed, Pool, Reader, Settings, Writer
from reelforge_gateway.api.mix_schemas import Mix, MixCreate
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.operations import mixes as operations
from reelforge_gateway.problems import documented

router = APIRouter(tags=["projects"], responses=documented("unauthenticated", "forbidden", "unavailable"))


@router.post(
    "/v1/mixes",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(
        "validation_failed", "not_found", "asset_not_ready", "asset_failed", "no_video",
        "concurrent_jobs_exceeded", "monthly_minutes_exceeded",
    ),
)  # fmt: skip
async def create_mix(
    body: MixCreate, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> Job:
    """Variants for A/B posting: each joins one whole clip from every group,
    in group order, with the export settings (transitions included). `auto`
    makes `variants` distinct combinations, chosen at random but the same
    for a retried job; `manual` makes the `combinations` given, each with its
    own settings and tags if it says. Every file carries a title and a
    comment naming its clips. The job (kind `mix`) lists the variants as its
    outputs; read `GET /v1/mixes/{resource_id}`."""
    return await operations.request_mix(pool, settings, clients, feed, tenant_id=caller.tenant_id, body=body)


@router.get("/v1/mixes/{mix_id}", responses=documented("not_found"))
async def get_mix(mix_id: str, caller: Reader, clients: Clients) -> Mix:
    """A mix: its variants, each with its clips, settings, tags and, once made, its video."""
    return Mix.from_message(await operations.get_mix(clients, tenant_id=caller.tenant_id, mix_id=mix_id))
