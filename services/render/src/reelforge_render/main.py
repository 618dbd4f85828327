"""Wiring of the render service."""

from __future__ import annotations

from importlib.resources import files

from reelforge_common.asset_upload import AssetUploader
from reelforge_common.bus import Subscription
from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_render import media_jobs
from reelforge_render.clients import Analyses
from reelforge_render.comparison_rendering import ComparisonVideos
from reelforge_render.config import RenderSettings
from reelforge_render.exporting import Exporter
from reelforge_render.frames import FrameExtractor
from reelforge_render.grpc_api import projects, render, sessions
from reelforge_render.mixing import Mixer
from reelforge_render.prerequisites import Prerequisites
from reelforge_render.producing import MAX_DELIVER, WORK_CONSUMER, Producer
from reelforge_render.ranking import LlmRanker
from reelforge_render.session_exporting import SessionExporter


async def build(resources: Resources[RenderSettings]) -> Components:
    settings, db, object_store = resources.settings, resources.db, resources.store
    assert object_store is not None
    if settings.work_dir is not None:
        settings.work_dir.mkdir(parents=True, exist_ok=True)
    analyses = Analyses(settings.transcription_target, settings.pose_target, settings.internal_call_timeout_s)
    prerequisites = Prerequisites(db, object_store, analyses, pose_fps=settings.clip_pose_fps)
    ranker = LlmRanker(settings.aigen_target, settings.internal_call_timeout_s) if settings.llm_ranking else None
    producer = Producer(settings, db, object_store, analyses, resources.metrics, ranker)
    work = Subscription(
        durable=WORK_CONSUMER,
        routes=producer.routes(),
        concurrency=settings.render_concurrency,
        max_ack_pending=settings.render_concurrency * 4,
        ack_wait_s=settings.job_ack_wait_s,
        max_deliver=MAX_DELIVER,
    )
    uploader = AssetUploader(settings.ingest_target, settings.internal_call_timeout_s)
    extractor = FrameExtractor(object_store, uploader, work_dir=settings.work_dir)
    service = render.RenderService(db, object_store, extractor, url_expiry_s=settings.url_expiry_s)
    project_service = projects.ProjectsService(db, object_store, url_expiry_s=settings.url_expiry_s)
    exporter = Exporter(settings, db, object_store, resources.metrics)
    comparisons = ComparisonVideos(settings, db, object_store, analyses)
    mixer = Mixer(settings, db, object_store)
    session_exporter = SessionExporter(settings, db, object_store, comparisons)
    session_service = sessions.SessionsService(db, object_store, analyses, url_expiry_s=settings.url_expiry_s)
    exports = Subscription(
        durable=media_jobs.CONSUMER,
        routes=(*exporter.routes(), *comparisons.routes(), *mixer.routes(), *session_exporter.routes()),
        concurrency=settings.render_concurrency,
        max_ack_pending=settings.render_concurrency * 4,
        ack_wait_s=settings.job_ack_wait_s,
        max_deliver=media_jobs.MAX_DELIVER,
    )
    return Components(
        subscriptions=[prerequisites.subscription(), work, exports],
        grpc_registrars=[service.register, project_service.register, session_service.register],
        grpc_service_names=[render.SERVICE_NAME, projects.SERVICE_NAME, sessions.SERVICE_NAME],
        on_stop=[analyses.close, uploader.close, *([ranker.close] if ranker else [])],
    )


DEFINITION: ServiceDefinition[RenderSettings] = ServiceDefinition(
    name="render",
    build=build,
    migrations=files("reelforge_render") / "migrations",
    uses_object_store=True,
)


def run() -> None:
    main(DEFINITION, RenderSettings)
