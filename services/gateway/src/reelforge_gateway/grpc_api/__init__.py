"""The public gRPC API, ``reelforge.api.v1`` (``proto/reelforge/api/v1``).

The same operations as REST ``/v1`` (``operations/``), with the same keys,
scopes, tenancy and problem codes: the servicers only translate messages,
authenticate (``auth.Authenticator.caller_of``) and turn problems into gRPC
statuses (``errors``).
"""

from __future__ import annotations

import asyncpg
import grpc

from reelforge.api.v1 import (
    admin_pb2,
    admin_pb2_grpc,
    assets_pb2,
    assets_pb2_grpc,
    jobs_pb2,
    jobs_pb2_grpc,
    keys_pb2,
    keys_pb2_grpc,
    pose_pb2,
    pose_pb2_grpc,
    transcripts_pb2,
    transcripts_pb2_grpc,
)
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.grpc_api.assets import AssetsService
from reelforge_gateway.grpc_api.auth import Authenticator
from reelforge_gateway.grpc_api.jobs import JobsService
from reelforge_gateway.grpc_api.keys import AdminService, ApiKeysService
from reelforge_gateway.grpc_api.pose import PoseAnalysesService
from reelforge_gateway.grpc_api.transcripts import TranscriptsService
from reelforge_gateway.grpc_api.uploads import ImportsService, UploadsService
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.live import JobFeed

SERVICE_NAMES = tuple(
    file.services_by_name[name].full_name
    for file, name in (
        (jobs_pb2.DESCRIPTOR, "Jobs"),
        (assets_pb2.DESCRIPTOR, "Assets"),
        (assets_pb2.DESCRIPTOR, "Uploads"),
        (assets_pb2.DESCRIPTOR, "Imports"),
        (keys_pb2.DESCRIPTOR, "ApiKeys"),
        (admin_pb2.DESCRIPTOR, "Admin"),
        (transcripts_pb2.DESCRIPTOR, "Transcripts"),
        (pose_pb2.DESCRIPTOR, "PoseAnalyses"),
    )
)


class PublicGrpcApi:
    """The servicers of ``reelforge.api.v1``, to register on the service's gRPC server."""

    service_names = SERVICE_NAMES

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        settings: GatewaySettings,
        clients: InternalClients,
        feed: JobFeed,
    ) -> None:
        auth = Authenticator(pool, settings)
        ingest, transcription = clients.ingest, clients.transcription
        self._jobs = JobsService(auth, pool, feed)
        self._assets = AssetsService(auth, pool, settings, ingest, feed)
        self._uploads = UploadsService(auth, pool, settings, ingest, feed)
        self._imports = ImportsService(auth, pool, settings, ingest, feed)
        self._keys = ApiKeysService(auth, pool)
        self._admin = AdminService(auth, pool)
        self._transcripts = TranscriptsService(auth, pool, settings, ingest, transcription, feed)
        self._pose = PoseAnalysesService(auth, pool, settings, clients, feed)

    def register(self, server: grpc.aio.Server) -> None:
        jobs_pb2_grpc.add_JobsServicer_to_server(self._jobs, server)
        assets_pb2_grpc.add_AssetsServicer_to_server(self._assets, server)
        assets_pb2_grpc.add_UploadsServicer_to_server(self._uploads, server)
        assets_pb2_grpc.add_ImportsServicer_to_server(self._imports, server)
        keys_pb2_grpc.add_ApiKeysServicer_to_server(self._keys, server)
        admin_pb2_grpc.add_AdminServicer_to_server(self._admin, server)
        transcripts_pb2_grpc.add_TranscriptsServicer_to_server(self._transcripts, server)
        pose_pb2_grpc.add_PoseAnalysesServicer_to_server(self._pose, server)
