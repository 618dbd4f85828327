"""Wiring of the gateway service."""

from __future__ import annotations

from importlib.resources import files

from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_gateway.api.app import create_app
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.handlers import JobProjection
from reelforge_gateway.ingest_client import IngestClient
from reelforge_gateway.live import JobFeed


async def build(resources: Resources[GatewaySettings]) -> Components:
    settings = resources.settings
    feed = JobFeed(resources.bus, resources.db.pool, idle_s=settings.live_idle_s)
    projection = JobProjection(feed, settings.projection_concurrency)
    ingest = IngestClient(settings.ingest_target, settings.internal_call_timeout_s)
    api = create_app(pool=resources.db.pool, settings=settings, ingest=ingest, feed=feed)
    return Components(
        subscriptions=projection.subscriptions(), public_app=api, public_port=settings.api_port, on_stop=[ingest.close]
    )


DEFINITION: ServiceDefinition[GatewaySettings] = ServiceDefinition(
    name="gateway", build=build, migrations=files("reelforge_gateway") / "migrations"
)


def run() -> None:
    main(DEFINITION, GatewaySettings)
