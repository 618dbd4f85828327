"""A file a service made becomes the tenant's asset: streamed to ingest's
``Upload`` like a tenant's upload, then validated and processed there
(probe, thumbnail and, for media, proxy and audio). Ingest answers a retried
upload with the same job id with the asset the first one made, so callers
derive the job id from their own work's id (``derived_job_id``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

from reelforge.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from reelforge_common.grpc_server import insecure_channel, refusal_code

_CHUNK = 1024 * 1024
_JOBS = uuid.UUID("6f1d3c36-2f0e-4b8e-9a5f-5b0c0a8e7a11")


class UploadRefusedError(Exception):
    """Ingest refused the file (a quota, a limit, not media): ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def derived_job_id(*names: str) -> str:
    """The ingest job id of the file named by ``names`` (the same names, the same id)."""
    return str(uuid.uuid5(_JOBS, "/".join(names)))


class AssetUploader:
    """A client of ingest's ``Upload``."""

    def __init__(self, ingest_target: str, timeout_s: float) -> None:
        self._channel = insecure_channel(ingest_target)
        self._ingest = ingest_pb2_grpc.IngestStub(self._channel)
        self._timeout_s = timeout_s

    async def upload(
        self, path: Path, *, tenant_id: str, job_id: str, filename: str, content_type: str, quota: ingest_pb2.Quota
    ) -> str:
        """Upload ``path`` as the tenant's asset; returns its id. A refusal
        raises ``UploadRefusedError``; ingest being unavailable raises the RPC error."""
        start = ingest_pb2.UploadStart(
            tenant_id=tenant_id, job_id=job_id, filename=filename, content_type=content_type, quota=quota
        )

        async def chunks() -> AsyncIterator[ingest_pb2.UploadChunk]:
            yield ingest_pb2.UploadChunk(start=start)
            with path.open("rb") as file:
                while data := file.read(_CHUNK):
                    yield ingest_pb2.UploadChunk(data=data)

        try:
            asset = await self._ingest.Upload(chunks(), timeout=self._timeout_s)
        except grpc.aio.AioRpcError as exc:
            if code := refusal_code(exc):
                raise UploadRefusedError(code, f"ingest refused {filename}: {exc.details()}") from None
            raise
        return str(asset.id)

    async def close(self) -> None:
        await self._channel.close()
