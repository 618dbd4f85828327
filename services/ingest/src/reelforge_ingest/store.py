"""The ``assets`` table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from google.protobuf import json_format

from reelforge.events.v1.asset_pb2 import MediaInfo
from reelforge_common.db.connection import Connection

_COLUMNS = (
    "tenant_id, id, job_id, status, source, filename, content_type, size_bytes, source_url, original_key, "
    "upload_id, part_size, quota_max_bytes, quota_max_duration_s, media, derivatives, error_code, error_message, "
    "created_at, updated_at"
)


@dataclass(frozen=True)
class AssetRow:
    tenant_id: str
    id: str
    job_id: str
    status: str
    source: str
    filename: str
    content_type: str
    size_bytes: int
    source_url: str
    original_key: str
    upload_id: str | None
    part_size: int | None
    quota_max_bytes: int
    quota_max_duration_s: float
    media: MediaInfo | None
    derivatives: dict[str, str]
    error_code: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> AssetRow:
        values: dict[str, Any] = dict(record)
        media = values.pop("media")
        values["media"] = json_format.ParseDict(json.loads(media), MediaInfo()) if media else None
        values["derivatives"] = json.loads(values["derivatives"])
        return cls(**values)


def media_json(media: MediaInfo) -> str:
    return json.dumps(json_format.MessageToDict(media, preserving_proto_field_name=True))


async def insert_asset(
    conn: Connection,
    *,
    tenant_id: str,
    asset_id: str,
    job_id: str,
    status: str,
    source: str,
    filename: str,
    content_type: str,
    size_bytes: int = 0,
    source_url: str = "",
    original_key: str = "",
    upload_id: str | None = None,
    part_size: int | None = None,
    quota_max_bytes: int = 0,
    quota_max_duration_s: float = 0.0,
    media: MediaInfo | None = None,
) -> AssetRow:
    record = await conn.fetchrow(
        f"""INSERT INTO assets (tenant_id, id, job_id, status, source, filename, content_type, size_bytes,
                source_url, original_key, upload_id, part_size, quota_max_bytes, quota_max_duration_s, media)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            RETURNING {_COLUMNS}""",
        tenant_id,
        asset_id,
        job_id,
        status,
        source,
        filename,
        content_type,
        size_bytes,
        source_url,
        original_key,
        upload_id,
        part_size,
        quota_max_bytes,
        quota_max_duration_s,
        media_json(media) if media else None,
    )
    assert record is not None
    return AssetRow.from_record(record)


async def get_asset(
    conn: Connection | asyncpg.Pool, tenant_id: str, asset_id: str, *, lock: bool = False
) -> AssetRow | None:
    record = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM assets WHERE tenant_id = $1 AND id = $2" + (" FOR UPDATE" if lock else ""),
        tenant_id,
        asset_id,
    )
    return AssetRow.from_record(record) if record else None


async def asset_of_job(conn: Connection | asyncpg.Pool, tenant_id: str, job_id: str) -> AssetRow | None:
    record = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM assets WHERE tenant_id = $1 AND job_id = $2", tenant_id, job_id
    )
    return AssetRow.from_record(record) if record else None


async def list_assets(
    conn: Connection | asyncpg.Pool,
    tenant_id: str,
    *,
    limit: int,
    status: str | None,
    after: tuple[datetime, str] | None,
) -> list[AssetRow]:
    """Newest first; ``after`` is the (created_at, id) of the previous page's last row."""
    records = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM assets
            WHERE tenant_id = $1
              AND ($2::text IS NULL OR status = $2)
              AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
            ORDER BY created_at DESC, id DESC
            LIMIT $5""",
        tenant_id,
        status,
        after[0] if after else None,
        after[1] if after else "",
        limit,
    )
    return [AssetRow.from_record(r) for r in records]


async def mark_processing(
    conn: Connection, tenant_id: str, asset_id: str, *, size_bytes: int, media: MediaInfo
) -> None:
    await conn.execute(
        """UPDATE assets SET status = 'processing', size_bytes = $3, media = $4, upload_id = NULL, updated_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        asset_id,
        size_bytes,
        media_json(media),
    )


async def mark_ready(conn: Connection, tenant_id: str, asset_id: str, *, derivatives: dict[str, str]) -> None:
    await conn.execute(
        """UPDATE assets SET status = 'ready', derivatives = $3, updated_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        asset_id,
        json.dumps(derivatives),
    )


async def mark_failed(conn: Connection, tenant_id: str, asset_id: str, *, code: str, message: str) -> None:
    await conn.execute(
        """UPDATE assets SET status = 'failed', error_code = $3, error_message = $4, derivatives = '{}',
                  upload_id = NULL, updated_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        asset_id,
        code,
        message,
    )


async def delete_asset(conn: Connection, tenant_id: str, asset_id: str) -> bool:
    status: str = await conn.execute("DELETE FROM assets WHERE tenant_id = $1 AND id = $2", tenant_id, asset_id)
    return status.endswith(" 1")
