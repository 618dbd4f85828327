"""Asset events, written to the outbox in the caller's transaction."""

from __future__ import annotations

from google.protobuf.message import Message

from reelforge_common.db.connection import Connection
from reelforge_common.job_events import JobEvents
from reelforge_ingest.store import AssetRow

PRODUCER = "ingest"
_EVENTS = JobEvents(producer=PRODUCER, domain="asset")


async def announce(conn: Connection, asset: AssetRow, name: str, payload: Message, *, causation_id: str = "") -> None:
    """Queue ``asset.<name>`` about ``asset``; its job id correlates it."""
    await _EVENTS.emit(conn, name, payload, tenant_id=asset.tenant_id, job_id=asset.job_id, causation_id=causation_id)


async def announce_progress(conn: Connection, asset: AssetRow, stage: str, fraction: float, causation_id: str) -> None:
    await _EVENTS.progress(
        conn,
        tenant_id=asset.tenant_id,
        job_id=asset.job_id,
        resource_id=asset.id,
        stage=stage,
        fraction=fraction,
        causation_id=causation_id,
    )


async def announce_failure(
    conn: Connection, asset: AssetRow, *, code: str, message: str, stage: str, causation_id: str = ""
) -> None:
    await _EVENTS.failed(
        conn,
        tenant_id=asset.tenant_id,
        job_id=asset.job_id,
        resource_id=asset.id,
        code=code,
        message=message,
        stage=stage,
        causation_id=causation_id,
    )
