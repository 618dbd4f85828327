"""Wiring of the aigen service."""

from __future__ import annotations

from importlib.resources import files

from reelforge_aigen.admission import Admission
from reelforge_aigen.budgets import Budgets
from reelforge_aigen.calls import ProviderCalls
from reelforge_aigen.completions import Completions
from reelforge_aigen.config import AigenSettings
from reelforge_aigen.generating import GENERATIONS_CONSUMER, MAX_DELIVER, Generator
from reelforge_aigen.grpc_api import SERVICE_NAME, AigenService
from reelforge_aigen.image_assets import ImageAssets
from reelforge_aigen.limits import RateLimiter
from reelforge_aigen.pricing import PriceList
from reelforge_aigen.providers import build_providers
from reelforge_common.asset_upload import AssetUploader
from reelforge_common.bus import Subscription
from reelforge_common.runner import Components, Resources, ServiceDefinition, main


async def build(resources: Resources[AigenSettings]) -> Components:
    settings, db, store, metrics = resources.settings, resources.db, resources.store, resources.metrics
    assert store is not None
    if settings.work_dir is not None:
        settings.work_dir.mkdir(parents=True, exist_ok=True)
    providers = build_providers(settings)
    prices = PriceList(settings.pricing)
    budgets = Budgets(settings.default_monthly_budget_usd)
    calls = ProviderCalls(settings, metrics)
    limiter = RateLimiter(db, settings, metrics)
    uploader = AssetUploader(settings.ingest_target, settings.internal_call_timeout_s)
    generator = Generator(settings, db, store, providers.video, calls, limiter, prices, budgets, uploader, metrics)
    admission = Admission(db, providers.video, prices, budgets, metrics)
    completions = Completions(settings, db, providers.chat, calls, limiter, prices, budgets, admission)
    service = AigenService(settings, db, store, providers.video, admission, budgets, calls, completions)
    work = Subscription(
        durable=GENERATIONS_CONSUMER,
        routes=generator.routes(),
        concurrency=settings.generation_concurrency,
        max_ack_pending=settings.generation_concurrency * 4,
        ack_wait_s=settings.job_ack_wait_s,
        max_deliver=MAX_DELIVER,
    )
    return Components(
        subscriptions=[work, ImageAssets(db).subscription()],
        grpc_registrars=[service.register],
        grpc_service_names=[SERVICE_NAME],
        on_stop=[providers.close, uploader.close],
    )


DEFINITION: ServiceDefinition[AigenSettings] = ServiceDefinition(
    name="aigen",
    build=build,
    migrations=files("reelforge_aigen") / "migrations",
    uses_object_store=True,
)


def run() -> None:
    main(DEFINITION, AigenSettings)
