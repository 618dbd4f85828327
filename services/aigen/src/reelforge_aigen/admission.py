"""Accepting a generation: the request checked against its provider's model,
answered from the cache when an identical one has a result, priced, held
against the tenant's budget, then queued with its event (outbox).

The image asset of a first frame is checked by the gateway against ingest
(another tenant's is not found, a video is not an image); aigen's own copy
of it may lag a moment behind, which the job waits out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from reelforge.events.v1.generation_pb2 import GenerationCompleted, GenerationRequested
from reelforge.ingest.v1.ingest_pb2 import Quota
from reelforge_aigen.budgets import Budgets, Standing
from reelforge_aigen.pricing import PriceList
from reelforge_aigen.providers.base import VideoProvider
from reelforge_aigen.spec import MAX_PROMPT, Spec
from reelforge_aigen.store import characters, generations
from reelforge_aigen.store.generations import GenerationRow
from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_common.grpc_server import RefusedError
from reelforge_common.job_events import JobEvents
from reelforge_common.telemetry import Metrics

GENERATION_EVENTS = JobEvents(producer="aigen", domain="generation")


def new_generation_id() -> str:
    return "gen_" + uuid.uuid4().hex


@dataclass(frozen=True)
class Priced:
    spec: Spec
    request_hash: str
    cost_micros: int
    procedural: bool


class Admission:
    def __init__(
        self,
        db: Database,
        providers: dict[str, VideoProvider],
        prices: PriceList,
        budgets: Budgets,
        metrics: Metrics,
    ) -> None:
        self._db = db
        self._providers = providers
        self._prices = prices
        self._budgets = budgets
        self._cache_hits = metrics.counter(
            "cache_hits_total", "Generations answered from the cache (no provider call)."
        )
        self._refusals = metrics.counter(
            "budget_refusals_total", "Generations and completions refused over budget, before any spend.", ["kind"]
        )

    def refused_over_budget(self, kind: str) -> None:
        self._refusals.labels(kind).inc()

    def provider(self, name: str) -> VideoProvider:
        if name not in self._providers:
            offered = ", ".join(sorted(self._providers)) or "none"
            raise RefusedError(
                "provider_not_configured", f"no provider {name!r} in this deployment (offered: {offered})"
            )
        return self._providers[name]

    async def price(self, conn: Db, tenant_id: str, asked: Spec) -> Priced:
        """The request with its defaults, checked, hashed and priced."""
        provider = self.provider(asked.provider)
        model = provider.models.get(asked.model or provider.default_model)
        if model is None:
            raise RefusedError(
                "validation_failed",
                f"{provider.name} offers the models {', '.join(provider.models)}, not {asked.model!r}",
            )
        spec = asked.with_defaults(
            model=model.name,
            duration_s=float(model.durations_s[0]) if model.durations_s else 5.0,
            resolution=model.resolutions[0],
            aspect=model.aspects[0],
        )
        problems = model.problems(
            duration_s=spec.duration_s,
            resolution=spec.resolution,
            aspect=spec.aspect,
            image=bool(spec.image_asset_id),
            character=bool(spec.character_id),
        )
        if not spec.prompt and not spec.image_asset_id:
            problems.insert(0, "a prompt or a first-frame image is needed")
        if len(spec.prompt) > MAX_PROMPT:
            problems.insert(0, f"the prompt is longer than {MAX_PROMPT} characters")
        if problems:
            raise RefusedError("validation_failed", "; ".join(problems))
        character_image = ""
        if spec.character_id:
            character = await characters.get(conn, tenant_id, spec.character_id)
            if character is None:
                raise RefusedError("not_found", f"no character {spec.character_id}")
            if not character.active:
                raise RefusedError("character_inactive", f"character {spec.character_id} is deactivated")
            character_image = character.image_asset_id
        cost = self._prices.video_micros(
            provider.name, spec.model, duration_s=spec.duration_s, resolution=spec.resolution
        )
        return Priced(spec, spec.request_hash(character_image), cost, provider.procedural)

    async def estimate(self, tenant_id: str, asked: Spec) -> tuple[Priced, Standing, bool]:
        """The price, the tenant's standing, and whether the cache would answer."""
        async with self._db.transaction() as conn:
            priced = await self.price(conn, tenant_id, asked)
            cached = not asked.no_cache and await generations.cached(conn, tenant_id, priced.request_hash) is not None
            return priced, await self._budgets.standing(conn, tenant_id), cached

    async def accept(self, tenant_id: str, job_id: str, asked: Spec, quota: Quota) -> GenerationRow:
        """Queue the generation (or answer it from the cache); idempotent per job."""
        async with self._db.transaction() as conn:
            earlier = await generations.by_job(conn, tenant_id, job_id)
            if earlier is not None:
                return earlier
            priced = await self.price(conn, tenant_id, asked)
            generation_id = new_generation_id()
            cached = None if asked.no_cache else await generations.cached(conn, tenant_id, priced.request_hash)
            if cached is not None:
                row = await generations.create_cached(
                    conn, tenant_id=tenant_id, generation_id=generation_id, job_id=job_id, spec=priced.spec,
                    earlier=cached,
                )  # fmt: skip
                await self._announce_cached(conn, row)
                self._cache_hits.inc()
                return row
            standing = await self._budgets.standing_locked(conn, tenant_id)
            if not standing.allows(priced.cost_micros):
                self.refused_over_budget("generation")
                raise RefusedError("budget_exceeded", standing.refusal(priced.cost_micros))
            row = await generations.create(
                conn,
                tenant_id=tenant_id,
                generation_id=generation_id,
                job_id=job_id,
                spec=priced.spec,
                request_hash=priced.request_hash,
                quota_max_bytes=quota.max_upload_bytes,
                quota_max_duration_s=quota.max_duration_s,
                estimate_micros=priced.cost_micros,
                procedural=priced.procedural,
            )
            await GENERATION_EVENTS.emit(conn, "requested", _requested(row), tenant_id=tenant_id, job_id=job_id)
            return row

    async def _announce_cached(self, conn: Connection, row: GenerationRow) -> None:
        """A cached answer is a job too: queued and succeeded at once."""
        completed = GenerationCompleted(
            generation_id=row.id, asset_id=row.asset_id, provider=row.provider, model=row.model, cost_micros=0,
            video_key=row.video_key, cached=True,
        )  # fmt: skip
        await GENERATION_EVENTS.emit(conn, "requested", _requested(row), tenant_id=row.tenant_id, job_id=row.job_id)
        await GENERATION_EVENTS.emit(conn, "completed", completed, tenant_id=row.tenant_id, job_id=row.job_id)


def _requested(row: GenerationRow) -> GenerationRequested:
    spec = row.spec
    return GenerationRequested(
        generation_id=row.id,
        provider=spec.provider,
        model=spec.model,
        prompt=spec.prompt,
        first_frame_asset_id=spec.image_asset_id,
        character_ids=[spec.character_id] if spec.character_id else [],
        duration_s=spec.duration_s,
        resolution=spec.resolution,
        aspect=spec.aspect,
    )
