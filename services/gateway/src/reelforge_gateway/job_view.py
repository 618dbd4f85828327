"""A row of the jobs read model as the public ``Job``, its outputs presigned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reelforge_common.storage import ObjectStore
from reelforge_gateway.api.schemas import Job, JobError, JobOutput

# Long enough to fetch a large output; a client that needs more reads the job again.
OUTPUT_URL_TTL = timedelta(hours=1)


class JobViews:
    def __init__(self, store: ObjectStore) -> None:
        self._store = store

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
        # Signed as of this second: the URL's expiry and `expires_at` agree.
        signed_at = datetime.now(UTC).replace(microsecond=0)
        expires_at = signed_at + OUTPUT_URL_TTL
        return {
            name: JobOutput(
                url=await self._store.presigned_get(key, OUTPUT_URL_TTL, request_date=signed_at), expires_at=expires_at
            )
            for name, key in sorted(keys.items())
        }
