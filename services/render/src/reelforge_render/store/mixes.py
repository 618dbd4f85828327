"""Mixes and their variants."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from reelforge_common.db.connection import Executor as Db


@dataclass(frozen=True)
class MixRow:
    tenant_id: str
    id: str
    job_id: str
    name: str
    # queued, running, completed or failed.
    status: str
    # [{index, asset_ids, durations, settings, metadata, output_key}]
    variants: list[dict[str, Any]]
    error_code: str | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in {"completed", "failed"}


_COLUMNS = ", ".join(MixRow.__dataclass_fields__)


def new_mix_id() -> str:
    return "mix_" + uuid.uuid4().hex


def _row(row: asyncpg.Record | None) -> MixRow | None:
    if row is None:
        return None
    values = dict(row)
    values["variants"] = json.loads(values["variants"])
    return MixRow(**values)


async def create(
    conn: Db, *, tenant_id: str, mix_id: str, job_id: str, name: str, variants: list[dict[str, Any]]
) -> MixRow:
    row = _row(
        await conn.fetchrow(
            f"""INSERT INTO mixes (tenant_id, id, job_id, name, status, variants)
                VALUES ($1, $2, $3, $4, 'queued', $5) RETURNING {_COLUMNS}""",
            tenant_id,
            mix_id,
            job_id,
            name,
            json.dumps(variants),
        )
    )
    assert row is not None
    return row


async def get(conn: Db, *, tenant_id: str, mix_id: str, lock: bool = False) -> MixRow | None:
    return _row(
        await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM mixes WHERE tenant_id = $1 AND id = $2{' FOR UPDATE' if lock else ''}",
            tenant_id,
            mix_id,
        )
    )


async def by_job(conn: Db, *, tenant_id: str, job_id: str) -> MixRow | None:
    return _row(
        await conn.fetchrow(f"SELECT {_COLUMNS} FROM mixes WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id)
    )


async def mark_running(conn: Db, *, tenant_id: str, mix_id: str) -> None:
    await conn.execute(
        "UPDATE mixes SET status = 'running' WHERE tenant_id = $1 AND id = $2 AND status = 'queued'", tenant_id, mix_id
    )


async def variant_stored(conn: Db, *, tenant_id: str, mix_id: str, index: int, output_key: str) -> None:
    await conn.execute(
        """UPDATE mixes SET variants = jsonb_set(variants, ARRAY[$3::text, 'output_key'], to_jsonb($4::text))
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        mix_id,
        str(index),
        output_key,
    )


async def mark_completed(conn: Db, *, tenant_id: str, mix_id: str) -> None:
    await conn.execute(
        "UPDATE mixes SET status = 'completed', completed_at = now() WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        mix_id,
    )


async def mark_failed(conn: Db, *, tenant_id: str, mix_id: str, code: str, message: str) -> None:
    await conn.execute(
        """UPDATE mixes SET status = 'failed', error_code = $3, error_message = $4, completed_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        mix_id,
        code,
        message,
    )
