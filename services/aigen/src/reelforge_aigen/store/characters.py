"""Characters: named reference images of a tenant's projects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class CharacterRow:
    tenant_id: str
    id: str
    project: str
    name: str
    image_asset_id: str
    active: bool
    created_at: datetime
    updated_at: datetime


_COLUMNS = ", ".join(CharacterRow.__dataclass_fields__)


def _row(record: asyncpg.Record | None) -> CharacterRow | None:
    return CharacterRow(**dict(record)) if record else None


async def create(
    conn: Db, *, tenant_id: str, character_id: str, project: str, name: str, image_asset_id: str
) -> CharacterRow:
    record = await conn.fetchrow(
        f"""INSERT INTO characters (tenant_id, id, project, name, image_asset_id)
            VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}""",
        tenant_id,
        character_id,
        project,
        name,
        image_asset_id,
    )
    row = _row(record)
    assert row is not None
    return row


async def get(conn: Db, tenant_id: str, character_id: str) -> CharacterRow | None:
    return _row(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM characters WHERE tenant_id = $1 AND id = $2", tenant_id, character_id
        )
    )


async def page(
    conn: Db, tenant_id: str, *, project: str, active_only: bool, limit: int, after: tuple[datetime, str] | None
) -> list[CharacterRow]:
    """Newest first, after the keyset position ``after``."""
    records = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM characters
            WHERE tenant_id = $1 AND ($2 = '' OR project = $2) AND (NOT $3 OR active)
              AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
            ORDER BY created_at DESC, id DESC LIMIT $6""",
        tenant_id,
        project,
        active_only,
        after[0] if after else None,
        after[1] if after else "",
        limit,
    )
    return [CharacterRow(**dict(r)) for r in records]


async def update(
    conn: Db,
    tenant_id: str,
    character_id: str,
    *,
    name: str | None,
    active: bool | None,
    image_asset_id: str | None,
) -> CharacterRow | None:
    """Change the fields given (None: unchanged)."""
    return _row(
        await conn.fetchrow(
            f"""UPDATE characters SET name = coalesce($3, name), active = coalesce($4, active),
                       image_asset_id = coalesce($5, image_asset_id), updated_at = now()
                WHERE tenant_id = $1 AND id = $2 RETURNING {_COLUMNS}""",
            tenant_id,
            character_id,
            name,
            active,
            image_asset_id,
        )
    )


async def delete(conn: Db, tenant_id: str, character_id: str) -> bool:
    status = await conn.execute("DELETE FROM characters WHERE tenant_id = $1 AND id = $2", tenant_id, character_id)
    return bool(status == "DELETE 1")


async def deactivate_using(conn: Db, tenant_id: str, image_asset_id: str) -> None:
    await conn.execute(
        "UPDATE characters SET active = false, updated_at = now() WHERE tenant_id = $1 AND image_asset_id = $2",
        tenant_id,
        image_asset_id,
    )
