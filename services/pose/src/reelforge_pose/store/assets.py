"""Assets this service may analyse, as ingest announced them."""

from __future__ import annotations

from dataclasses import dataclass

from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class AssetVideo:
    """What ingest announced about an asset: its proxy (empty: no video)."""

    proxy_key: str
    duration_s: float


async def remember_asset(conn: Db, *, tenant_id: str, asset_id: str, video: AssetVideo) -> None:
    await conn.execute(
        """INSERT INTO assets (tenant_id, asset_id, proxy_key, duration_s) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, asset_id) DO UPDATE SET proxy_key = $3, duration_s = $4""",
        tenant_id,
        asset_id,
        video.proxy_key,
        video.duration_s,
    )


async def asset_video(conn: Db, *, tenant_id: str, asset_id: str) -> AssetVideo | None:
    row = await conn.fetchrow(
        "SELECT proxy_key, duration_s FROM assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id
    )
    return AssetVideo(row["proxy_key"], row["duration_s"]) if row else None


async def forget_asset(conn: Connection, *, tenant_id: str, asset_id: str) -> list[str]:
    """Delete the asset, its analyses and every comparison it is part of;
    returns the objects to delete from S3."""
    await conn.execute("DELETE FROM assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id)
    tracks = await conn.fetch(
        "DELETE FROM analyses WHERE tenant_id = $1 AND asset_id = $2 RETURNING track_key", tenant_id, asset_id
    )
    results = await conn.fetch(
        """DELETE FROM comparisons WHERE tenant_id = $1 AND (reference_asset_id = $2 OR attempt_asset_id = $2)
           RETURNING result_key""",
        tenant_id,
        asset_id,
    )
    return [key for key in (*(r["track_key"] for r in tracks), *(r["result_key"] for r in results)) if key]
