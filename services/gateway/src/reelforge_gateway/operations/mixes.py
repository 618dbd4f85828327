"""Mixes: made by the render service."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from reelforge.render.v1 import render_pb2
from reelforge_gateway.api.mix_schemas import MixCreate
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import admit, new_job_id, record_job
from reelforge_gateway.operations.jobs import get_job
from reelforge_gateway.operations.projects import video_asset

KIND = "mix"


async def request_mix(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    body: MixCreate,
) -> Job:
    """Queue a mix of the tenant's ready video assets; the answer is the job."""
    for asset_id in dict.fromkeys(a for group in body.groups for a in group):
        await video_asset(clients, tenant_id=tenant_id, asset_id=asset_id)
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = render_pb2.MixRequest(
        tenant_id=tenant_id,
        job_id=job_id,
        name=body.name,
        groups=[render_pb2.MixGroup(asset_ids=group) for group in body.groups],
        mode=body.mode,
        variants=body.variants or 0,
        settings=body.settings.to_message(),
        metadata=body.metadata,
    )
    for combination in body.combinations:
        entry = render_pb2.MixCombination(picks=combination.picks, metadata=combination.metadata)
        if combination.settings is not None:
            entry.settings.CopyFrom(combination.settings.to_message())
        request.combinations.append(entry)
    projects = clients.projects
    made = await projects.calling(lambda: projects.stub.RequestMix(request, timeout=projects.timeout_s))
    await record_job(feed, tenant_id=tenant_id, job_id=job_id, kind=KIND, resource_id=made.id, at=datetime.now(UTC))
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


async def get_mix(clients: InternalClients, *, tenant_id: str, mix_id: str) -> render_pb2.Mix:
    projects = clients.projects
    ref = render_pb2.MixRef(tenant_id=tenant_id, mix_id=mix_id)
    return await projects.calling(lambda: projects.stub.GetMix(ref, timeout=projects.timeout_s))
