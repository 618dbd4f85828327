"""``reelforge.api.v1.PoseAnalyses``: pose analyses and movement comparisons."""

from __future__ import annotations

from typing import Any

import asyncpg
import grpc

from reelforge.api.v1 import jobs_pb2, pose_pb2, pose_pb2_grpc
from reelforge.pose.v1 import pose_pb2 as internal
from reelforge_gateway.api.pose_schemas import ComparisonCreate, PoseAnalysisCreate
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.grpc_api import messages
from reelforge_gateway.grpc_api.auth import Authenticator
from reelforge_gateway.grpc_api.errors import answers_problems, validated
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.keys import Scope
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations import pose as operations
from reelforge_gateway.problems import ProblemError

_MAX_PAGE = 100


def _span(span: internal.TimeSpan, given: bool) -> dict[str, Any] | None:
    return {"start_s": span.start_s, "end_s": span.end_s or None} if given else None


class PoseAnalysesService(pose_pb2_grpc.PoseAnalysesServicer):
    def __init__(
        self,
        auth: Authenticator,
        pool: asyncpg.Pool,
        settings: GatewaySettings,
        clients: InternalClients,
        feed: JobFeed,
    ) -> None:
        self._auth = auth
        self._pool = pool
        self._settings = settings
        self._clients = clients
        self._feed = feed

    @answers_problems
    async def CreatePoseAnalysis(
        self, request: pose_pb2.CreatePoseAnalysisRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.Job:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        optional = {name: getattr(request, name) for name in ("sample_fps", "max_people") if request.HasField(name)}
        body = validated(PoseAnalysisCreate, asset_id=request.asset_id, **optional)
        job = await operations.request_pose_analysis(
            self._pool, self._settings, self._clients, self._feed, tenant_id=caller.tenant_id, body=body
        )
        return messages.job(job)

    @answers_problems
    async def GetPoseAnalysis(
        self, request: pose_pb2.PoseAnalysisRef, context: grpc.aio.ServicerContext
    ) -> internal.PoseAnalysis:
        caller = await self._auth.caller_of(context, Scope.READ)
        return await operations.get_pose_analysis(
            self._clients.pose, tenant_id=caller.tenant_id, asset_id=request.asset_id
        )

    @answers_problems
    async def GetPoseSignals(
        self, request: pose_pb2.PoseAnalysisRef, context: grpc.aio.ServicerContext
    ) -> internal.PoseSignals:
        caller = await self._auth.caller_of(context, Scope.READ)
        return await operations.get_pose_signals(
            self._clients.pose, tenant_id=caller.tenant_id, asset_id=request.asset_id
        )

    @answers_problems
    async def CreateComparison(
        self, request: pose_pb2.CreateComparisonRequest, context: grpc.aio.ServicerContext
    ) -> jobs_pb2.Job:
        caller = await self._auth.caller_of(context, Scope.WRITE)
        body = validated(
            ComparisonCreate,
            reference_asset_id=request.reference_asset_id,
            attempt_asset_id=request.attempt_asset_id,
            reference_span=_span(request.reference_span, request.HasField("reference_span")),
            attempt_span=_span(request.attempt_span, request.HasField("attempt_span")),
        )
        job = await operations.request_comparison(
            self._pool, self._settings, self._clients, self._feed, tenant_id=caller.tenant_id, body=body
        )
        return messages.job(job)

    @answers_problems
    async def GetComparison(
        self, request: pose_pb2.GetComparisonRequest, context: grpc.aio.ServicerContext
    ) -> internal.Comparison:
        caller = await self._auth.caller_of(context, Scope.READ)
        return await operations.get_comparison(
            self._clients.pose,
            tenant_id=caller.tenant_id,
            comparison_id=request.comparison_id,
            alignment=request.include_alignment,
        )

    @answers_problems
    async def ListComparisons(
        self, request: pose_pb2.ListComparisonsRequest, context: grpc.aio.ServicerContext
    ) -> internal.ComparisonPage:
        caller = await self._auth.caller_of(context, Scope.READ)
        if request.limit > _MAX_PAGE:
            raise ProblemError("validation_failed", f"limit: 1 to {_MAX_PAGE}")
        return await operations.list_comparisons(
            self._clients.pose,
            tenant_id=caller.tenant_id,
            limit=request.limit,
            cursor=request.cursor,
            asset_id=request.asset_id,
        )
