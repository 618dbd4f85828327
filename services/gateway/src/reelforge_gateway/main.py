"""Wiring of the gateway service."""

from __future__ import annotations

from importlib.resources import files

from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_gateway.api.app import create_app
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.grpc_api import PublicGrpcApi
from reelforge_gateway.handlers import JobProjection
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.job_view import JobViews
from reelforge_gateway.live import JobFeed
from reelforge_gateway.usage import UsageMeter


async def build(resources: Resources[GatewaySettings]) -> Components:
    settings = resources.settings
    assert resources.store is not None  # uses_object_store: presigns job outputs
    feed = JobFeed(
        resources.bus, resources.db.pool, JobViews(resources.store), resources.metrics, idle_s=settings.live_idle_s
    )
    projection = JobProjection(feed, settings.projection_concurrency)
    clients = InternalClients.connect(settings)
    api = create_app(pool=resources.db.pool, settings=settings, clients=clients, feed=feed)
    grpc_api = PublicGrpcApi(pool=resources.db.pool, settings=settings, clients=clients, feed=feed)
    return Components(
        subscriptions=[*projection.subscriptions(), *UsageMeter(resources.db.pool).subscriptions()],
        grpc_registrars=[grpc_api.register],
        grpc_service_names=grpc_api.service_names,
        public_app=api,
        public_port=settings.api_port,
        on_stop=[clients.close],
    )


DEFINITION: ServiceDefinition[GatewaySettings] = ServiceDefinition(
    name="gateway", build=build, migrations=files("reelforge_gateway") / "migrations", uses_object_store=True
)


def run() -> None:
    main(DEFINITION, GatewaySettings)
