"""Clients of the internal services, with their refusals turned into problems.

An internal service refuses with a gRPC status and the problem ``code`` in
the trailing metadata ``rf-code``; the gateway answers with that problem.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import grpc

from reelforge.aigen.v1.aigen_pb2_grpc import AigenStub
from reelforge.ingest.v1.ingest_pb2_grpc import IngestStub
from reelforge.notify.v1.notify_pb2_grpc import NotifyStub
from reelforge.pose.v1.pose_pb2_grpc import PoseStub
from reelforge.render.v1.render_pb2_grpc import ProjectsStub, RenderStub, SessionsStub
from reelforge.transcription.v1.transcription_pb2_grpc import TranscriptionStub
from reelforge_common.grpc_server import insecure_channel, refusal_code
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.problems import CODES, ProblemError

S = TypeVar("S")
T = TypeVar("T")


class ServiceClient(Generic[S]):
    def __init__(self, name: str, stub: Callable[[grpc.aio.Channel], S], target: str, timeout_s: float) -> None:
        self.name = name
        self._channel = insecure_channel(target)
        self.stub = stub(self._channel)
        self.timeout_s = timeout_s

    async def calling(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()``; a refusal becomes the problem it names."""
        try:
            return await call()
        except grpc.aio.AioRpcError as exc:
            raise self.problem_from(exc) from exc

    def problem_from(self, exc: grpc.aio.AioRpcError) -> ProblemError:
        code = refusal_code(exc)
        if code in CODES:
            return ProblemError(code, exc.details() or "")
        if exc.code() in {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}:
            return ProblemError("unavailable", f"the {self.name} service is unavailable; retry later")
        return ProblemError("internal_error", f"the {self.name} service failed")

    async def close(self) -> None:
        await self._channel.close()


class IngestClient(ServiceClient[IngestStub]):
    def __init__(self, target: str, timeout_s: float) -> None:
        super().__init__("ingest", IngestStub, target, timeout_s)


class TranscriptionClient(ServiceClient[TranscriptionStub]):
    def __init__(self, target: str, timeout_s: float) -> None:
        super().__init__("transcription", TranscriptionStub, target, timeout_s)


class PoseClient(ServiceClient[PoseStub]):
    def __init__(self, target: str, timeout_s: float) -> None:
        super().__init__("pose", PoseStub, target, timeout_s)


class RenderClient(ServiceClient[RenderStub]):
    def __init__(self, target: str, timeout_s: float) -> None:
        super().__init__("render", RenderStub, target, timeout_s)


class ProjectsClient(ServiceClient[ProjectsStub]):
    """Render's projects and exports."""

    def __init__(self, target: str, timeout_s: float) -> None:
        super().__init__("render", ProjectsStub, target, timeout_s)


class SessionsClient(ServiceClient[SessionsStub]):
    """Render's practice sessions."""

    def __init__(self, target: str, timeout_s: float) -> None:
        super().__init__("render", SessionsStub, target, timeout_s)


class NotifyClient(ServiceClient[NotifyStub]):
    def __init__(self, target: str, timeout_s: float) -> None:
        super().__init__("notify", NotifyStub, target, timeout_s)


class AigenClient(ServiceClient[AigenStub]):
    def __init__(self, target: str, timeout_s: float) -> None:
        super().__init__("aigen", AigenStub, target, timeout_s)


@dataclass(frozen=True)
class InternalClients:
    """A client of each internal service the gateway calls."""

    ingest: IngestClient
    transcription: TranscriptionClient
    pose: PoseClient
    render: RenderClient
    projects: ProjectsClient
    sessions: SessionsClient
    notify: NotifyClient
    aigen: AigenClient

    @classmethod
    def connect(cls, settings: GatewaySettings) -> InternalClients:
        timeout = settings.internal_call_timeout_s
        return cls(
            ingest=IngestClient(settings.ingest_target, timeout),
            transcription=TranscriptionClient(settings.transcription_target, timeout),
            pose=PoseClient(settings.pose_target, timeout),
            render=RenderClient(settings.render_target, timeout),
            projects=ProjectsClient(settings.render_target, timeout),
            sessions=SessionsClient(settings.render_target, timeout),
            notify=NotifyClient(settings.notify_target, timeout),
            aigen=AigenClient(settings.aigen_target, timeout),
        )

    async def close(self) -> None:
        clients = (
            self.ingest, self.transcription, self.pose, self.render, self.projects, self.sessions, self.notify,
            self.aigen,
        )  # fmt: skip
        for client in clients:
            await client.close()
