"""Assets clip jobs are made from, as ingest announced them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class AssetRow:
    tenant_id: str
    asset_id: str
    # pending (named by a clip job, not announced yet), ready or failed.
    status: str
    original_key: str
    audio_key: str
    duration_s: float
    has_video: bool
    width: int
    height: int
    error_code: str | None
    error_message: str | None


_COLUMNS = ", ".join(AssetRow.__dataclass_fields__)


async def claim(conn: Connection, *, tenant_id: str, asset_id: str) -> AssetRow:
    """The asset's row, locked until the transaction ends; a 'pending' one is
    made when ingest has not announced the asset yet."""
    await conn.execute(
        "INSERT INTO assets (tenant_id, asset_id, status) VALUES ($1, $2, 'pending') ON CONFLICT DO NOTHING",
        tenant_id,
        asset_id,
    )
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM assets WHERE tenant_id = $1 AND asset_id = $2 FOR UPDATE", tenant_id, asset_id
    )
    assert row is not None
    return AssetRow(**dict(row))


async def asset(conn: Db, *, tenant_id: str, asset_id: str) -> AssetRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id
    )
    return AssetRow(**dict(row)) if row else None


async def announced(conn: Db, *, tenant_id: str, asset_id: str, wait_s: float) -> AssetRow | None:
    """The asset as ingest announced it (ready or failed). One that ingest has
    only just made ready may not be announced here yet: it is waited for up
    to ``wait_s``."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        found = await asset(conn, tenant_id=tenant_id, asset_id=asset_id)
        if found is not None and found.status != "pending":
            return found
        if asyncio.get_running_loop().time() > deadline:
            return None
        await asyncio.sleep(0.1)


async def mark_ready(
    conn: Connection,
    *,
    tenant_id: str,
    asset_id: str,
    original_key: str,
    audio_key: str,
    duration_s: float,
    has_video: bool,
    width: int,
    height: int,
) -> None:
    await conn.execute(
        """UPDATE assets SET status = 'ready', original_key = $3, audio_key = $4, duration_s = $5, has_video = $6,
                  width = $7, height = $8, error_code = NULL, error_message = NULL
           WHERE tenant_id = $1 AND asset_id = $2""",
        tenant_id,
        asset_id,
        original_key,
        audio_key,
        duration_s,
        has_video,
        width,
        height,
    )


async def mark_failed(conn: Connection, *, tenant_id: str, asset_id: str, code: str, message: str) -> None:
    await conn.execute(
        """UPDATE assets SET status = 'failed', error_code = $3, error_message = $4
           WHERE tenant_id = $1 AND asset_id = $2""",
        tenant_id,
        asset_id,
        code,
        message,
    )


async def forget(conn: Connection, *, tenant_id: str, asset_id: str) -> None:
    await conn.execute("DELETE FROM assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id)
