"""Wiring of the ingest service."""

from __future__ import annotations

from importlib.resources import files

from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_ingest.config import IngestSettings
from reelforge_ingest.grpc_api import IngestService
from reelforge_ingest.intake import Intake
from reelforge_ingest.processing import AssetProcessor
from reelforge_ingest.spool import Spool


async def build(resources: Resources[IngestSettings]) -> Components:
    settings, db, store = resources.settings, resources.db, resources.store
    assert store is not None
    spool = Spool(settings.work_dir)
    intake = Intake(settings, db, store, spool)
    processor = AssetProcessor(settings, db, store, spool, intake, resources.metrics)
    service = IngestService(db, store, intake)
    return Components(
        subscriptions=[processor.subscription()],
        grpc_registrars=[service.register],
        grpc_service_names=["reelforge.ingest.v1.Ingest"],
    )


DEFINITION: ServiceDefinition[IngestSettings] = ServiceDefinition(
    name="ingest", build=build, migrations=files("reelforge_ingest") / "migrations", uses_object_store=True
)


def run() -> None:
    main(DEFINITION, IngestSettings)
