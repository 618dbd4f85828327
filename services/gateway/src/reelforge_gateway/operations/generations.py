"""Generations, characters and AI spend: kept by the aigen service."""

from __future__ import annotations

from datetime import UTC

import asyncpg

from reelforge.aigen.v1 import aigen_pb2
from reelforge.ingest.v1 import ingest_pb2
from reelforge_common.proto_time import datetime_of
from reelforge_gateway.api.generation_schemas import (
    BudgetUpdate,
    Character,
    CharacterCreate,
    CharacterPage,
    CharacterUpdate,
    Estimate,
    Generation,
    GenerationCreate,
    GenerationPage,
    LedgerEntry,
    Model,
    Money,
    Provider,
    Spend,
)
from reelforge_gateway.api.schemas import Job, JobError
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import AigenClient, InternalClients
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import admit, new_job_id, record_job
from reelforge_gateway.operations.jobs import get_job
from reelforge_gateway.problems import ProblemError

KIND = "generation"


async def check_image_asset(clients: InternalClients, *, tenant_id: str, asset_id: str) -> None:
    """An image asset of the tenant, ready (another tenant's is not_found)."""
    ingest = clients.ingest
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    asset = await ingest.calling(lambda: ingest.stub.GetAsset(ref, timeout=ingest.timeout_s))
    if asset.HasField("media") and not asset.media.is_image:
        raise ProblemError("not_an_image", f"asset {asset_id} is not a still image (PNG, JPEG or WebP)")
    if asset.status != "ready":
        raise ProblemError("asset_not_ready", f"asset {asset_id} is {asset.status}")


def _spec(tenant_id: str, body: GenerationCreate) -> aigen_pb2.GenerationSpec:
    spec = aigen_pb2.GenerationSpec(
        tenant_id=tenant_id,
        provider=body.provider,
        model=body.model or "",
        prompt=body.prompt,
        image_asset_id=body.image_asset_id or "",
        character_id=body.character_id or "",
        duration_s=body.duration or 0.0,
        resolution=body.resolution or "",
        aspect=body.aspect or "",
        no_cache=not body.cache,
    )
    if body.seed is not None:
        spec.seed = body.seed
    return spec


async def request_generation(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    body: GenerationCreate,
) -> Job:
    """Queue a generation (or answer it from the cache); the answer is the job."""
    if body.image_asset_id:
        await check_image_asset(clients, tenant_id=tenant_id, asset_id=body.image_asset_id)
    quotas = await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = aigen_pb2.GenerationRequest(
        job_id=job_id,
        spec=_spec(tenant_id, body),
        quota=ingest_pb2.Quota(max_upload_bytes=quotas.max_upload_bytes, max_duration_s=quotas.max_media_duration_s),
    )
    aigen = clients.aigen
    generation = await aigen.calling(lambda: aigen.stub.RequestGeneration(request, timeout=aigen.timeout_s))
    # The row's creation time: not later than its events (a cached answer's are already out).
    at = generation.created_at.ToDatetime(tzinfo=UTC)
    await record_job(feed, tenant_id=tenant_id, job_id=job_id, kind=KIND, resource_id=generation.id, at=at)
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


def _money_or_none(micros: int) -> Money | None:
    return Money.of(micros) if micros else None


async def estimate_generation(clients: InternalClients, *, tenant_id: str, body: GenerationCreate) -> Estimate:
    if body.image_asset_id:
        await check_image_asset(clients, tenant_id=tenant_id, asset_id=body.image_asset_id)
    aigen = clients.aigen
    spec = _spec(tenant_id, body)
    found = await aigen.calling(lambda: aigen.stub.EstimateGeneration(spec, timeout=aigen.timeout_s))
    return Estimate(
        provider=found.provider,
        model=found.model,
        cost=Money.of(found.cost_micros),
        cached=found.cached,
        budget=_money_or_none(found.budget_micros),
        spent=Money.of(found.spent_micros),
        reserved=Money.of(found.reserved_micros),
        within_budget=found.within_budget,
    )


def generation_view(message: aigen_pb2.Generation) -> Generation:
    spec = message.spec
    created = datetime_of(message.created_at)
    assert created is not None
    return Generation(
        id=message.id,
        job_id=message.job_id,
        status=message.status,
        provider=message.provider,
        model=message.model,
        prompt=spec.prompt,
        duration_s=spec.duration_s,
        resolution=spec.resolution,
        aspect=spec.aspect,
        image_asset_id=spec.image_asset_id or None,
        character_id=spec.character_id or None,
        seed=spec.seed if spec.HasField("seed") else None,
        procedural=message.procedural,
        estimate=Money.of(message.estimate_micros),
        cost=Money.of(message.cost_micros),
        cached_from=message.cached_from or None,
        asset_id=message.asset_id or None,
        video_url=message.video_url or None,
        video_url_expires_at=datetime_of(message.url_expires_at) if message.video_url else None,
        attempts=message.attempts,
        error=JobError(code=message.error_code, message=message.error_message) if message.error_code else None,
        created_at=created,
        completed_at=datetime_of(message.completed_at),
    )


async def get_generation(aigen: AigenClient, *, tenant_id: str, generation_id: str) -> Generation:
    ref = aigen_pb2.GenerationRef(tenant_id=tenant_id, generation_id=generation_id)
    return generation_view(await aigen.calling(lambda: aigen.stub.GetGeneration(ref, timeout=aigen.timeout_s)))


async def list_generations(
    aigen: AigenClient, *, tenant_id: str, status: str | None, provider: str | None, limit: int, cursor: str | None
) -> GenerationPage:
    request = aigen_pb2.ListGenerationsRequest(
        tenant_id=tenant_id, status=status or "", provider=provider or "", page_size=limit, page_token=cursor or ""
    )
    page = await aigen.calling(lambda: aigen.stub.ListGenerations(request, timeout=aigen.timeout_s))
    return GenerationPage(
        items=[generation_view(g) for g in page.generations], next_cursor=page.next_page_token or None
    )


async def cancel_generation(aigen: AigenClient, *, tenant_id: str, generation_id: str) -> Generation:
    ref = aigen_pb2.GenerationRef(tenant_id=tenant_id, generation_id=generation_id)
    return generation_view(await aigen.calling(lambda: aigen.stub.CancelGeneration(ref, timeout=aigen.timeout_s)))


async def list_providers(aigen: AigenClient) -> list[Provider]:
    found = await aigen.calling(
        lambda: aigen.stub.ListProviders(aigen_pb2.ListProvidersRequest(), timeout=aigen.timeout_s)
    )
    return [
        Provider(
            name=p.name,
            procedural=p.procedural,
            circuit=p.circuit,
            fallbacks=list(p.fallbacks),
            models=[
                Model(
                    name=m.name,
                    durations_s=list(m.durations_s),
                    min_duration_s=m.min_duration_s,
                    max_duration_s=m.max_duration_s,
                    resolutions=list(m.resolutions),
                    aspects=list(m.aspects),
                    accepts_image=m.accepts_image,
                    accepts_character=m.accepts_character,
                    default=m.is_default,
                )
                for m in p.models
            ],
        )
        for p in found.providers
    ]


# Characters.


def character_view(message: aigen_pb2.Character) -> Character:
    return Character(
        id=message.id,
        project=message.project,
        name=message.name,
        image_asset_id=message.image_asset_id,
        active=message.active,
        created_at=message.created_at.ToDatetime(tzinfo=UTC),
        updated_at=message.updated_at.ToDatetime(tzinfo=UTC),
    )


async def create_character(clients: InternalClients, *, tenant_id: str, body: CharacterCreate) -> Character:
    await check_image_asset(clients, tenant_id=tenant_id, asset_id=body.image_asset_id)
    aigen = clients.aigen
    request = aigen_pb2.CreateCharacterRequest(
        tenant_id=tenant_id, project=body.project, name=body.name, image_asset_id=body.image_asset_id
    )
    return character_view(await aigen.calling(lambda: aigen.stub.CreateCharacter(request, timeout=aigen.timeout_s)))


async def list_characters(
    aigen: AigenClient, *, tenant_id: str, project: str | None, active_only: bool, limit: int, cursor: str | None
) -> CharacterPage:
    request = aigen_pb2.ListCharactersRequest(
        tenant_id=tenant_id, project=project or "", active_only=active_only, page_size=limit, page_token=cursor or ""
    )
    page = await aigen.calling(lambda: aigen.stub.ListCharacters(request, timeout=aigen.timeout_s))
    return CharacterPage(items=[character_view(c) for c in page.characters], next_cursor=page.next_page_token or None)


async def get_character(aigen: AigenClient, *, tenant_id: str, character_id: str) -> Character:
    ref = aigen_pb2.CharacterRef(tenant_id=tenant_id, character_id=character_id)
    return character_view(await aigen.calling(lambda: aigen.stub.GetCharacter(ref, timeout=aigen.timeout_s)))


async def update_character(
    clients: InternalClients, *, tenant_id: str, character_id: str, body: CharacterUpdate
) -> Character:
    if body.image_asset_id is not None:
        await check_image_asset(clients, tenant_id=tenant_id, asset_id=body.image_asset_id)
    request = aigen_pb2.UpdateCharacterRequest(tenant_id=tenant_id, character_id=character_id)
    if body.name is not None:
        request.name = body.name
    if body.active is not None:
        request.active = body.active
    if body.image_asset_id is not None:
        request.image_asset_id = body.image_asset_id
    aigen = clients.aigen
    return character_view(await aigen.calling(lambda: aigen.stub.UpdateCharacter(request, timeout=aigen.timeout_s)))


async def delete_character(aigen: AigenClient, *, tenant_id: str, character_id: str) -> None:
    ref = aigen_pb2.CharacterRef(tenant_id=tenant_id, character_id=character_id)
    await aigen.calling(lambda: aigen.stub.DeleteCharacter(ref, timeout=aigen.timeout_s))


# Spend and budgets.


def spend_view(message: aigen_pb2.Spend) -> Spend:
    start = datetime_of(message.period_start)
    assert start is not None
    entries = []
    for entry in message.entries:
        at = datetime_of(entry.at)
        assert at is not None
        entries.append(
            LedgerEntry(
                generation_id=entry.generation_id or None,
                kind="completion" if entry.kind == "completion" else "generation",
                provider=entry.provider,
                model=entry.model,
                amount=Money.of(entry.amount_micros),
                at=at,
            )
        )
    return Spend(
        budget=_money_or_none(message.budget_micros),
        default_budget=message.default_budget,
        spent=Money.of(message.spent_micros),
        reserved=Money.of(message.reserved_micros),
        period_start=start,
        entries=entries,
    )


async def get_spend(aigen: AigenClient, *, tenant_id: str, entries: int) -> Spend:
    request = aigen_pb2.SpendRequest(tenant_id=tenant_id, entries=entries)
    return spend_view(await aigen.calling(lambda: aigen.stub.GetSpend(request, timeout=aigen.timeout_s)))


async def set_budget(aigen: AigenClient, *, tenant_id: str, body: BudgetUpdate) -> Spend:
    request = aigen_pb2.SetBudgetRequest(tenant_id=tenant_id)
    if body.monthly_usd is not None:
        request.monthly_micros = round(body.monthly_usd * 1_000_000)
    return spend_view(await aigen.calling(lambda: aigen.stub.SetBudget(request, timeout=aigen.timeout_s)))
