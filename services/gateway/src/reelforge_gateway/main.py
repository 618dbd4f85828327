"""Wiring of the gateway service."""

from __future__ import annotations

from importlib.resources import files

from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.handlers import JobProjection


async def build(resources: Resources[GatewaySettings]) -> Components:
    projection = JobProjection(resources.db, resources.settings.projection_concurrency)
    return Components(subscriptions=projection.subscriptions())


DEFINITION: ServiceDefinition[GatewaySettings] = ServiceDefinition(
    name="gateway", build=build, migrations=files("reelforge_gateway") / "migrations"
)


def run() -> None:
    main(DEFINITION, GatewaySettings)
