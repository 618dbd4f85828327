"""A generated video becomes an asset: streamed to ingest like an upload,
validated and processed there (probe, thumbnail, proxy, audio). The ingest
job's id is derived from the generation's, so a retried registration gets
the asset the first one made."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

from reelforge.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from reelforge_common.grpc_server import insecure_channel, refusal_code

_CHUNK = 1024 * 1024
_JOBS = uuid.UUID("6f1d3c36-2f0e-4b8e-9a5f-5b0c0a8e7a11")


class RegistrationRefusedError(Exception):
    """Ingest refused the video (a quota, a limit): the generation fails with ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def ingest_job_id(generation_id: str) -> str:
    return str(uuid.uuid5(_JOBS, generation_id))


class Registrar:
    def __init__(self, ingest_target: str, timeout_s: float) -> None:
        self._channel = insecure_channel(ingest_target)
        self._ingest = ingest_pb2_grpc.IngestStub(self._channel)
        self._timeout_s = timeout_s

    async def register(
        self, *, tenant_id: str, generation_id: str, video: Path, filename: str, quota: ingest_pb2.Quota
    ) -> str:
        """Upload ``video`` as the tenant's asset; returns its id."""
        start = ingest_pb2.UploadStart(
            tenant_id=tenant_id,
            job_id=ingest_job_id(generation_id),
            filename=filename,
            content_type="video/mp4",
            quota=quota,
        )

        async def chunks() -> AsyncIterator[ingest_pb2.UploadChunk]:
            yield ingest_pb2.UploadChunk(start=start)
            with video.open("rb") as file:
                while data := file.read(_CHUNK):
                    yield ingest_pb2.UploadChunk(data=data)

        try:
            asset = await self._ingest.Upload(chunks(), timeout=self._timeout_s)
        except grpc.aio.AioRpcError as exc:
            if code := refusal_code(exc):
                raise RegistrationRefusedError(code, f"ingest refused the video: {exc.details()}") from None
            raise  # ingest unavailable: the job is retried
        return str(asset.id)

    async def close(self) -> None:
        await self._channel.close()
