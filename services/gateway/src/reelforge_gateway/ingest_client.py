"""Calls to the ingest service, with its refusals turned into problems."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from reelforge.ingest.v1.ingest_pb2_grpc import IngestStub
from reelforge_common.grpc_server import insecure_channel
from reelforge_gateway.problems import CODES, ProblemError

T = TypeVar("T")


class IngestClient:
    def __init__(self, target: str, timeout_s: float) -> None:
        self._channel = insecure_channel(target)
        self.stub = IngestStub(self._channel)
        self.timeout_s = timeout_s

    async def close(self) -> None:
        await self._channel.close()


async def calling_ingest(call: Callable[[], Awaitable[T]]) -> T:
    """Await ``call()``; a refusal becomes the problem it names."""
    try:
        return await call()
    except grpc.aio.AioRpcError as exc:
        raise problem_from(exc) from exc


def problem_from(exc: grpc.aio.AioRpcError) -> ProblemError:
    metadata = exc.trailing_metadata() or ()
    code = next((str(value) for key, value in metadata if key == "rf-code"), "")
    if code in CODES:
        return ProblemError(code, exc.details() or "")
    if exc.code() in {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}:
        return ProblemError("unavailable", "the ingest service is unavailable; retry later")
    return ProblemError("internal_error", "the ingest service failed")
