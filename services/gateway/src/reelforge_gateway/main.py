"""Wiring of the gateway service."""

from __future__ import annotations

from importlib.resources import files

from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_gateway.api.app import create_app
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.handlers import JobProjection


async def build(resources: Resources[GatewaySettings]) -> Components:
    settings = resources.settings
    projection = JobProjection(resources.db, settings.projection_concurrency)
    api = create_app(pool=resources.db.pool, operator_token=settings.operator_token.get_secret_value())
    return Components(subscriptions=projection.subscriptions(), public_app=api, public_port=settings.api_port)


DEFINITION: ServiceDefinition[GatewaySettings] = ServiceDefinition(
    name="gateway", build=build, migrations=files("reelforge_gateway") / "migrations"
)


def run() -> None:
    main(DEFINITION, GatewaySettings)
