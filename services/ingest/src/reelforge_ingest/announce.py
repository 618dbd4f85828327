"""Asset events, written to the outbox in the caller's transaction."""

from __future__ import annotations

from google.protobuf.message import Message

from reelforge.events.v1.jobs_pb2 import JobFailed, JobProgress
from reelforge_common.bus import new_envelope
from reelforge_common.db import add_to_outbox
from reelforge_common.db.connection import Connection
from reelforge_ingest.store import AssetRow

PRODUCER = "ingest"


async def announce(
    conn: Connection, asset: AssetRow, event_type: str, payload: Message, *, causation_id: str = ""
) -> None:
    """Queue ``event_type`` about ``asset``; its job id correlates it."""
    envelope = new_envelope(
        event_type=event_type,
        tenant_id=asset.tenant_id,
        payload=payload,
        producer=PRODUCER,
        correlation_id=asset.job_id,
        causation_id=causation_id,
    )
    await add_to_outbox(conn, envelope)


async def announce_progress(conn: Connection, asset: AssetRow, stage: str, fraction: float, causation_id: str) -> None:
    progress = JobProgress(stage=stage, fraction=fraction, resource_id=asset.id)
    await announce(conn, asset, "asset.progress", progress, causation_id=causation_id)


async def announce_failure(
    conn: Connection, asset: AssetRow, *, code: str, message: str, stage: str, causation_id: str = ""
) -> None:
    failed = JobFailed(code=code, message=message, stage=stage, resource_id=asset.id)
    await announce(conn, asset, "asset.failed", failed, causation_id=causation_id)
