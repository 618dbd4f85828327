"""Image assets aigen has heard of (``asset.ingested``): first frames and references."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class ImageAsset:
    tenant_id: str
    asset_id: str
    original_key: str
    width: int
    height: int
    content_type: str


_COLUMNS = ", ".join(ImageAsset.__dataclass_fields__)


def _row(record: asyncpg.Record | None) -> ImageAsset | None:
    return ImageAsset(**dict(record)) if record else None


async def remember(conn: Db, image: ImageAsset) -> None:
    await conn.execute(
        f"""INSERT INTO image_assets ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, asset_id) DO NOTHING""",
        image.tenant_id,
        image.asset_id,
        image.original_key,
        image.width,
        image.height,
        image.content_type,
    )


async def get(conn: Db, tenant_id: str, asset_id: str) -> ImageAsset | None:
    return _row(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM image_assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id
        )
    )


async def forget(conn: Db, tenant_id: str, asset_id: str) -> None:
    await conn.execute("DELETE FROM image_assets WHERE tenant_id = $1 AND asset_id = $2", tenant_id, asset_id)
