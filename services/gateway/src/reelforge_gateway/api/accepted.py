"""What every route that starts an ingest job shares."""

from __future__ import annotations

import uuid

from reelforge.ingest.v1 import ingest_pb2
from reelforge_gateway.live import JobFeed
from reelforge_gateway.projection import JobStatus, JobUpdate


def new_job_id() -> str:
    return str(uuid.uuid4())


async def record_job(feed: JobFeed, asset: ingest_pb2.Asset) -> None:
    """The job is in /v1/jobs from the moment it is accepted; its events,
    however early, are newer than this row and win."""
    update = JobUpdate(
        tenant_id=asset.tenant_id,
        job_id=asset.job_id,
        kind="ingest",
        status=JobStatus.QUEUED,
        at=asset.created_at.ToDatetime().astimezone(),
        resource_id=asset.id,
        progress=0.0,
    )
    await feed.apply(update)
