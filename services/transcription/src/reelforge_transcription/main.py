"""Wiring of the transcription service."""

from __future__ import annotations

import asyncio
import tempfile
from importlib.resources import files
from pathlib import Path

from reelforge_common.runner import Components, Resources, ServiceDefinition, main
from reelforge_transcription.config import TranscriptionSettings
from reelforge_transcription.embeddings import Embedder
from reelforge_transcription.engine import Engine, EngineConfig
from reelforge_transcription.grpc_api import SERVICE_NAME, TranscriptionService
from reelforge_transcription.transcribing import Transcriber


def engine_config(settings: TranscriptionSettings) -> EngineConfig:
    work_dir = settings.work_dir or Path(tempfile.gettempdir())
    return EngineConfig(
        model=settings.model,
        model_cache=settings.model_cache or work_dir / "models",
        allow_downloads=settings.allow_model_downloads,
        device=settings.device,
        compute_type=settings.compute_type,
        beam_size=settings.beam_size,
        cpu_threads=settings.cpu_threads,
        num_workers=settings.transcribe_concurrency,
    )


async def build(resources: Resources[TranscriptionSettings]) -> Components:
    settings, db, object_store = resources.settings, resources.db, resources.store
    assert object_store is not None
    engine = await asyncio.to_thread(Engine, engine_config(settings))  # loads the model
    embedder = await asyncio.to_thread(Embedder)  # all-MiniLM-L6-v2, for semantic search
    transcriber = Transcriber(settings, db, object_store, engine, embedder, resources.metrics)
    service = TranscriptionService(db, object_store, engine, embedder)
    return Components(
        subscriptions=transcriber.subscriptions(),
        grpc_registrars=[service.register],
        grpc_service_names=[SERVICE_NAME],
    )


DEFINITION: ServiceDefinition[TranscriptionSettings] = ServiceDefinition(
    name="transcription",
    build=build,
    migrations=files("reelforge_transcription") / "migrations",
    uses_object_store=True,
)


def run() -> None:
    main(DEFINITION, TranscriptionSettings)
