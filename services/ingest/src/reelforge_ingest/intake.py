"""Accepting assets: streamed uploads, presigned multipart uploads, URL imports.

An upload is validated (sniffed, probed, checked against limits and quotas)
before its row exists; a refused one leaves no row and no object. An accepted
asset is committed with its ``asset.requested`` event, and processing
(derivatives) continues as the asset's job.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from reelforge.events.v1.asset_pb2 import AssetRequested, MediaInfo
from reelforge.ingest.v1.ingest_pb2 import Quota
from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.safe_egress import AddressPolicy, ForbiddenTargetError, check_url
from reelforge_common.storage import ObjectStore, StoredPart
from reelforge_ingest import store as assets
from reelforge_ingest.announce import announce
from reelforge_ingest.config import IngestSettings
from reelforge_ingest.probe import Limits, probe
from reelforge_ingest.refusals import RefusedError
from reelforge_ingest.sniff import SNIFF_BYTES, sniff
from reelforge_ingest.spool import Spool, receive
from reelforge_ingest.store import AssetRow

_MAX_PARTS = 10_000  # S3's limit
_MIB = 1024 * 1024


@dataclass(frozen=True)
class NewAsset:
    """What a caller says about an asset it is about to send."""

    tenant_id: str
    job_id: str
    filename: str
    content_type: str
    quota: Quota


@dataclass(frozen=True)
class PresignedUpload:
    asset: AssetRow
    part_count: int
    urls: dict[int, str]
    uploaded: list[StoredPart]
    expires_at: datetime


class Intake:
    def __init__(self, settings: IngestSettings, db: Database, store: ObjectStore, spool: Spool) -> None:
        self._settings = settings
        self._db = db
        self._store = store
        self._spool = spool
        self.policy = AddressPolicy(settings.import_allow_networks)

    def limits(self, quota_duration_s: float) -> Limits:
        s = self._settings
        return Limits(s.max_width, s.max_height, s.max_fps, s.max_duration_s, s.max_streams, quota_duration_s)

    def original_key(self, tenant_id: str, asset_id: str) -> str:
        return self._store.key(tenant_id, asset_id, "original")

    def asset_prefix(self, tenant_id: str, asset_id: str) -> str:
        return self._store.key(tenant_id, asset_id) + "/"

    async def upload(self, new: NewAsset, chunks: AsyncIterator[bytes]) -> AssetRow:
        """A streamed upload: to local spool and S3 at once, then validated.
        A retry of an accepted upload (the same job id) answers its asset."""
        _check_job_id(new.job_id)
        earlier = await assets.asset_of_job(self._db.pool, new.tenant_id, new.job_id)
        if earlier is not None:
            return earlier
        asset_id = str(uuid.uuid4())
        key = self.original_key(new.tenant_id, asset_id)
        spool_file = self._spool.original(asset_id)
        try:
            size = await receive(
                chunks,
                spool_file=spool_file,
                store=self._store,
                key=key,
                content_type=new.content_type,
                max_bytes=new.quota.max_upload_bytes,
            )
            media = await self.validate(spool_file, new.quota)
            async with self._db.transaction() as conn:
                asset = await self._insert(
                    conn, new, asset_id, status="processing", source="upload", size_bytes=size, media=media
                )
                await self._request_processing(conn, asset)
        except BaseException as exc:
            self._spool.discard(asset_id)
            await self._store.delete_prefix(self.asset_prefix(new.tenant_id, asset_id))
            if isinstance(exc, asyncpg.UniqueViolationError):  # the same job's upload, at the same time
                raced = await assets.asset_of_job(self._db.pool, new.tenant_id, new.job_id)
                if raced is not None:
                    return raced
            raise
        return asset

    async def _insert(
        self, conn: Connection, new: NewAsset, asset_id: str, *, status: str, source: str, **facts: Any
    ) -> AssetRow:
        """The asset's row: what the caller said, plus ``facts`` learnt since."""
        return await assets.insert_asset(
            conn,
            tenant_id=new.tenant_id,
            asset_id=asset_id,
            job_id=new.job_id,
            status=status,
            source=source,
            filename=new.filename,
            content_type=new.content_type,
            original_key=self.original_key(new.tenant_id, asset_id),
            quota_max_bytes=new.quota.max_upload_bytes,
            quota_max_duration_s=new.quota.max_duration_s,
            **facts,
        )

    async def validate(self, path: Path, quota: Quota) -> MediaInfo:
        return await probe(str(path), self.limits(quota.max_duration_s))

    async def _request_processing(self, conn: Connection, asset: AssetRow) -> None:
        requested = AssetRequested(
            asset_id=asset.id,
            original_key=asset.original_key,
            source_url=asset.source_url,
            filename=asset.filename,
            max_upload_bytes=asset.quota_max_bytes,
            max_duration_s=asset.quota_max_duration_s,
        )
        await announce(conn, asset, "requested", requested)

    # Presigned multipart uploads.

    async def create_multipart(self, new: NewAsset, size_bytes: int) -> PresignedUpload:
        _check_job_id(new.job_id)
        if size_bytes <= 0:
            raise RefusedError("empty_upload", "size_bytes must be positive")
        if new.quota.max_upload_bytes and size_bytes > new.quota.max_upload_bytes:
            raise RefusedError(
                "upload_too_large", f"{size_bytes} bytes exceeds the {new.quota.max_upload_bytes}-byte upload limit"
            )
        part_size = max(self._settings.multipart_part_size, math.ceil(size_bytes / _MAX_PARTS / _MIB) * _MIB)
        asset_id = str(uuid.uuid4())
        key = self.original_key(new.tenant_id, asset_id)
        upload_id = await self._store.create_multipart(key, new.content_type or "application/octet-stream")
        try:
            async with self._db.transaction() as conn:
                asset = await self._insert(
                    conn,
                    new,
                    asset_id,
                    status="uploading",
                    source="multipart",
                    size_bytes=size_bytes,
                    upload_id=upload_id,
                    part_size=part_size,
                )
        except BaseException:
            await self._store.abort_multipart(key, upload_id)
            raise
        return await self._presigned(asset, uploaded=[])

    async def get_multipart(self, tenant_id: str, asset_id: str) -> PresignedUpload:
        asset = await self._uploading(tenant_id, asset_id)
        assert asset.upload_id is not None
        uploaded = await self._store.list_parts(asset.original_key, asset.upload_id)
        return await self._presigned(asset, uploaded=uploaded)

    async def _presigned(self, asset: AssetRow, *, uploaded: list[StoredPart]) -> PresignedUpload:
        assert asset.upload_id is not None
        assert asset.part_size is not None
        expiry = timedelta(seconds=self._settings.presign_expiry_s)
        count = _part_count(asset)
        done = {p.number for p in uploaded if p.size == _expected_part_size(asset, p.number)}
        urls = {
            n: await self._store.presigned_part(asset.original_key, asset.upload_id, n, expiry)
            for n in range(1, count + 1)
            if n not in done
        }
        return PresignedUpload(asset, count, urls, uploaded, datetime.now(UTC) + expiry)

    async def complete_multipart(self, tenant_id: str, asset_id: str) -> AssetRow:
        asset = await self._uploading(tenant_id, asset_id)
        assert asset.upload_id is not None
        parts = await self._store.list_parts(asset.original_key, asset.upload_id)
        by_number = {p.number: p for p in parts}
        count = _part_count(asset)
        missing = [
            n for n in range(1, count + 1) if n not in by_number or by_number[n].size != _expected_part_size(asset, n)
        ]
        if missing:
            listed = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
            raise RefusedError("upload_incomplete", f"parts missing or of the wrong size: {listed}")
        await self._store.complete_multipart(
            asset.original_key, asset.upload_id, [by_number[n] for n in range(1, count + 1)]
        )
        spool_file = self._spool.original(asset_id)
        try:
            sniff(await self._store.read_head(asset.original_key, SNIFF_BYTES))
            await self._store.download(asset.original_key, str(spool_file))
            media = await self.validate(spool_file, Quota(max_duration_s=asset.quota_max_duration_s))
        except RefusedError:
            self._spool.discard(asset_id)
            await self._forget(asset)
            raise
        async with self._db.transaction() as conn:
            await assets.mark_processing(conn, tenant_id, asset_id, size_bytes=asset.size_bytes, media=media)
            await self._request_processing(conn, asset)
            ready = await assets.get_asset(conn, tenant_id, asset_id)
        assert ready is not None
        return ready

    async def abort_multipart(self, tenant_id: str, asset_id: str) -> None:
        asset = await self._uploading(tenant_id, asset_id)
        assert asset.upload_id is not None
        await self._store.abort_multipart(asset.original_key, asset.upload_id)
        await self._forget(asset)

    async def _forget(self, asset: AssetRow) -> None:
        """Remove an asset that was never accepted: its objects, then its row."""
        await self._store.delete_prefix(self.asset_prefix(asset.tenant_id, asset.id))
        async with self._db.transaction() as conn:
            await assets.delete_asset(conn, asset.tenant_id, asset.id)

    async def _uploading(self, tenant_id: str, asset_id: str) -> AssetRow:
        asset = await assets.get_asset(self._db.pool, tenant_id, asset_id)
        if asset is None or asset.source != "multipart":
            raise RefusedError("not_found", f"no upload {asset_id}")
        if asset.status != "uploading":
            raise RefusedError("conflict", f"upload {asset_id} is already complete ({asset.status})")
        return asset

    # URL imports.

    async def import_url(self, new: NewAsset, url: str) -> AssetRow:
        """Check the URL now (scheme, and where its host resolves today); the
        fetch, re-checking every connection, runs as the asset's job."""
        _check_job_id(new.job_id)
        try:
            host, port = check_url(url)
            await self.policy.resolve(host, port)
        except ForbiddenTargetError as exc:
            raise RefusedError(exc.code, exc.detail) from None
        asset_id = str(uuid.uuid4())
        async with self._db.transaction() as conn:
            named = replace(new, filename=new.filename or _filename_from(url))
            asset = await self._insert(conn, named, asset_id, status="importing", source="import", source_url=url)
            await self._request_processing(conn, asset)
        return asset


def _part_count(asset: AssetRow) -> int:
    assert asset.part_size
    return max(1, math.ceil(asset.size_bytes / asset.part_size))


def _expected_part_size(asset: AssetRow, number: int) -> int:
    assert asset.part_size
    return min(asset.part_size, asset.size_bytes - (number - 1) * asset.part_size)


def _check_job_id(job_id: str) -> None:
    try:
        uuid.UUID(job_id)
    except ValueError:
        raise RefusedError("validation_failed", "job_id must be a UUID") from None


def _filename_from(url: str) -> str:
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name[:200] or "import"
