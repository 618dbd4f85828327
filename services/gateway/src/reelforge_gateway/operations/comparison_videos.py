"""Videos of pose comparisons: asked of the render service."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from reelforge.render.v1 import render_pb2
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import admit, new_job_id, record_job
from reelforge_gateway.operations.jobs import get_job
from reelforge_gateway.operations.pose import get_comparison
from reelforge_gateway.problems import ProblemError

KIND = "comparevideo"


async def request_video(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    comparison_id: str,
    resolution: str,
    container: str,
    layout: str,
) -> Job:
    """Queue the video of a completed comparison of the tenant's; the answer is the job."""
    comparison = await get_comparison(clients.pose, tenant_id=tenant_id, comparison_id=comparison_id, alignment=False)
    if comparison.status != "completed":
        raise ProblemError("comparison_not_ready", f"comparison {comparison_id} is {comparison.status}")
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = render_pb2.ComparisonVideoRequest(
        tenant_id=tenant_id,
        job_id=job_id,
        comparison_id=comparison_id,
        resolution=resolution,
        format=container,
        layout=layout,
    )
    render = clients.render
    made = await render.calling(lambda: render.stub.RequestComparisonVideo(request, timeout=render.timeout_s))
    await record_job(feed, tenant_id=tenant_id, job_id=job_id, kind=KIND, resource_id=made.id, at=datetime.now(UTC))
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


async def get_video(clients: InternalClients, *, tenant_id: str, video_id: str) -> render_pb2.ComparisonVideo:
    render = clients.render
    ref = render_pb2.ComparisonVideoRef(tenant_id=tenant_id, video_id=video_id)
    return await render.calling(lambda: render.stub.GetComparisonVideo(ref, timeout=render.timeout_s))
