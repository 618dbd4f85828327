"""A row of the jobs read model as the public ``Job``, its outputs presigned."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from reelforge_common.storage import ObjectStore
from reelforge_gateway.api.schemas import Job, JobError, JobOutput

# Long enough to fetch a large output; a client that needs more reads the job again.
OUTPUT_URL_TTL = timedelta(hours=1)
# URLs are signed as of the start of a window, so reads within one window
# share a URL (and its signature, cached): every URL handed out stays valid
# for at least OUTPUT_URL_TTL - SIGNING_WINDOW.
SIGNING_WINDOW = timedelta(minutes=5)
_CACHED_URLS = 20_000


class JobViews:
    def __init__(self, store: ObjectStore) -> None:
        self._store = store
        self._urls: OrderedDict[tuple[str, datetime], str] = OrderedDict()

    async def job(self, row: dict[str, Any]) -> Job:
        error = JobError(code=row["error_code"], message=row["error_message"] or "") if row["error_code"] else None
        return Job(
            id=row["id"],
            kind=row["kind"],
            status=row["status"],
            stage=row["stage"],
            progress=row["progress"],
            resource_id=row["resource_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            error=error,
            outputs=await self._outputs(row["outputs"]),
        )

    async def _outputs(self, keys: dict[str, str]) -> dict[str, JobOutput]:
        if not keys:
            return {}
        now = datetime.now(UTC)
        signed_at = now - (now - datetime.min.replace(tzinfo=UTC)) % SIGNING_WINDOW
        expires_at = signed_at + OUTPUT_URL_TTL
        return {
            name: JobOutput(url=await self._url(key, signed_at), expires_at=expires_at)
            for name, key in sorted(keys.items())
        }

    async def _url(self, key: str, signed_at: datetime) -> str:
        url = self._urls.get((key, signed_at))
        if url is None:
            url = await self._store.presigned_get(key, OUTPUT_URL_TTL, request_date=signed_at)
            self._urls[(key, signed_at)] = url
            if len(self._urls) > _CACHED_URLS:
                self._urls.popitem(last=False)
        return url
