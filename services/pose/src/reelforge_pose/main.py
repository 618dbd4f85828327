"""Wiring of the pose service."""

from __future__ import annotations

import asyncio
from importlib.resources import files

from reelforge_common.bus import Subscription
from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_pose.alignment import pick_device
from reelforge_pose.analysing import Analyser
from reelforge_pose.analysis_jobs import JOBS_CONSUMER, MAX_DELIVER, AnalysisJobs
from reelforge_pose.catalog import AssetCatalog
from reelforge_pose.comparison import ComparisonConfig
from reelforge_pose.comparison_jobs import ComparisonJobs
from reelforge_pose.config import PoseSettings
from reelforge_pose.engine import EngineConfig, PoseEngine
from reelforge_pose.grpc_api import SERVICE_NAME, PoseService


def engine_config(settings: PoseSettings) -> EngineConfig:
    return EngineConfig(
        model=settings.pose_model,
        min_detection_confidence=settings.min_detection_confidence,
        min_presence_confidence=settings.min_presence_confidence,
        min_tracking_confidence=settings.min_tracking_confidence,
    )


async def build(resources: Resources[PoseSettings]) -> Components:
    settings, db, object_store = resources.settings, resources.db, resources.store
    assert object_store is not None
    if settings.work_dir is not None:
        settings.work_dir.mkdir(parents=True, exist_ok=True)
    engine = await asyncio.to_thread(PoseEngine, engine_config(settings))
    await asyncio.to_thread(engine.check)  # a model that cannot load stops the service at start-up
    analyser = Analyser(object_store, engine, settings.work_dir, resources.metrics)
    analyses = AnalysisJobs(db, analyser)
    comparisons = ComparisonJobs(
        db,
        object_store,
        analyser,
        sample_fps=settings.sample_fps,
        max_people=settings.max_people,
        config=ComparisonConfig(segment_s=settings.segment_s, weak_score=settings.weak_segment_score),
        device=pick_device(settings.alignment_device),
    )
    jobs = Subscription(
        durable=JOBS_CONSUMER,
        routes=(*analyses.routes(), *comparisons.routes()),
        concurrency=settings.analysis_concurrency,
        max_ack_pending=settings.analysis_concurrency * 4,
        ack_wait_s=settings.job_ack_wait_s,
        max_deliver=MAX_DELIVER,
    )
    service = PoseService(settings, db, object_store, analyser)
    return Components(
        subscriptions=[AssetCatalog(db, object_store).subscription(), jobs],
        grpc_registrars=[service.register],
        grpc_service_names=[SERVICE_NAME],
    )


DEFINITION: ServiceDefinition[PoseSettings] = ServiceDefinition(
    name="pose",
    build=build,
    migrations=files("reelforge_pose") / "migrations",
    uses_object_store=True,
)


def run() -> None:
    main(DEFINITION, PoseSettings)
