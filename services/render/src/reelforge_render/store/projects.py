"""Projects and their ordered items (a trimmed span of an asset each)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class ProjectRow:
    tenant_id: str
    id: str
    name: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ItemRow:
    id: str
    position: int
    asset_id: str
    trim_in_s: float
    trim_out_s: float
    # A clip a clip job rendered ("": the asset itself), and which.
    clip_job_id: str = ""
    clip_index: int = 0

    @property
    def duration_s(self) -> float:
        return self.trim_out_s - self.trim_in_s


_PROJECT = ", ".join(ProjectRow.__dataclass_fields__)
_ITEM = ", ".join(ItemRow.__dataclass_fields__)


def new_project_id() -> str:
    return "prj_" + uuid.uuid4().hex


def new_item_id() -> str:
    return "itm_" + uuid.uuid4().hex


async def create(conn: Db, *, tenant_id: str, name: str) -> ProjectRow:
    row = await conn.fetchrow(
        f"INSERT INTO projects (tenant_id, id, name) VALUES ($1, $2, $3) RETURNING {_PROJECT}",
        tenant_id,
        new_project_id(),
        name,
    )
    assert row is not None
    return ProjectRow(**dict(row))


async def get(conn: Db, *, tenant_id: str, project_id: str, lock: bool = False) -> ProjectRow | None:
    row = await conn.fetchrow(
        f"SELECT {_PROJECT} FROM projects WHERE tenant_id = $1 AND id = $2{' FOR UPDATE' if lock else ''}",
        tenant_id,
        project_id,
    )
    return ProjectRow(**dict(row)) if row else None


async def newest(conn: Db, *, tenant_id: str, limit: int, after: tuple[datetime, str] | None) -> list[ProjectRow]:
    """Newest first, after the keyset position ``after``."""
    rows = await conn.fetch(
        f"""SELECT {_PROJECT} FROM projects
            WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
            ORDER BY created_at DESC, id DESC LIMIT $4""",
        tenant_id,
        after[0] if after else None,
        after[1] if after else "",
        limit,
    )
    return [ProjectRow(**dict(r)) for r in rows]


async def rename(conn: Db, *, tenant_id: str, project_id: str, name: str) -> None:
    await conn.execute(
        "UPDATE projects SET name = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        project_id,
        name,
    )


async def delete(conn: Db, *, tenant_id: str, project_id: str) -> bool:
    """Delete the project and its items (its exports stay in the history)."""
    done = await conn.execute("DELETE FROM projects WHERE tenant_id = $1 AND id = $2", tenant_id, project_id)
    return done != "DELETE 0"


async def items(conn: Db, *, tenant_id: str, project_id: str) -> list[ItemRow]:
    rows = await conn.fetch(
        f"SELECT {_ITEM} FROM project_items WHERE tenant_id = $1 AND project_id = $2 ORDER BY position",
        tenant_id,
        project_id,
    )
    return [ItemRow(**dict(r)) for r in rows]


async def store_items(conn: Connection, *, tenant_id: str, project_id: str, ordered: list[ItemRow]) -> None:
    """Make the project's items ``ordered``, numbered from 0 (the caller holds the project's lock)."""
    await conn.execute("DELETE FROM project_items WHERE tenant_id = $1 AND project_id = $2", tenant_id, project_id)
    await conn.executemany(
        """INSERT INTO project_items (tenant_id, project_id, id, position, asset_id, trim_in_s, trim_out_s,
                                      clip_job_id, clip_index)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        [
            (
                tenant_id,
                project_id,
                item.id,
                position,
                item.asset_id,
                item.trim_in_s,
                item.trim_out_s,
                item.clip_job_id,
                item.clip_index,
            )
            for position, item in enumerate(ordered)
        ],
    )
    await conn.execute("UPDATE projects SET updated_at = now() WHERE tenant_id = $1 AND id = $2", tenant_id, project_id)
