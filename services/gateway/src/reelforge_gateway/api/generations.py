"""AI generation: videos from text and images through external providers
(or the offline procedural one), characters, and the tenant's AI spend."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from reelforge_gateway.api.deps import Aigen, Clients, Feed, Operator, Pool, Reader, Settings, Writer
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
    Provider,
    Spend,
)
from reelforge_gateway.api.links import follow
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.operations import generations as operations
from reelforge_gateway.problems import ProblemError, documented
from reelforge_gateway.store import quotas as tenant_store

router = APIRouter(tags=["generations"], responses=documented("unauthenticated", "forbidden", "unavailable"))
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")]
_REQUEST_REFUSALS = (
    "validation_failed",
    "provider_not_configured",
    "not_found",
    "not_an_image",
    "asset_not_ready",
    "character_inactive",
)
GenerationStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


@router.post(
    "/v1/generations",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(*_REQUEST_REFUSALS, "budget_exceeded", "concurrent_jobs_exceeded", "monthly_minutes_exceeded"),
)
async def create_generation(
    body: GenerationCreate, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> Job:
    """Generate a video from a prompt, a first-frame image or a character. It is
    priced first and refused (`budget_exceeded`) before any spend when the
    tenant's monthly budget cannot cover it; an identical earlier request
    answers at no cost unless `cache` is false. The job (kind `generation`)
    waits for the provider's rate limit, submits with retries, falls back to
    the configured providers when one is down, stores the video and
    registers it as an asset; read `GET /v1/generations/{resource_id}`."""
    return await operations.request_generation(pool, settings, clients, feed, tenant_id=caller.tenant_id, body=body)


@router.post("/v1/generations:estimate", responses=documented(*_REQUEST_REFUSALS))
async def estimate_generation(body: GenerationCreate, caller: Reader, clients: Clients) -> Estimate:
    """What the generation would cost, and whether the budget allows it; nothing is submitted."""
    return await operations.estimate_generation(clients, tenant_id=caller.tenant_id, body=body)


@router.get("/v1/generations", responses=documented("validation_failed"))
async def list_generations(
    caller: Reader,
    aigen: Aigen,
    status: GenerationStatus | None = None,
    provider: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> GenerationPage:
    """The tenant's generations, newest first, optionally of one status or provider."""
    return await operations.list_generations(
        aigen, tenant_id=caller.tenant_id, status=status, provider=provider, limit=limit, cursor=cursor
    )


@router.get("/v1/generations/{generation_id}", responses=documented("not_found"))
async def get_generation(generation_id: str, caller: Reader, aigen: Aigen) -> Generation:
    """A generation: its state, the provider that made it, its cost and, once
    it succeeded, its asset and a presigned link to the video."""
    return await operations.get_generation(aigen, tenant_id=caller.tenant_id, generation_id=generation_id)


@router.post("/v1/generations/{generation_id}/cancel", responses=documented("not_found", "conflict"))
async def cancel_generation(generation_id: str, caller: Writer, aigen: Aigen) -> Generation:
    """Stop a queued or running generation; its job fails with `cancelled`. A
    task the provider already runs is charged at its estimate (the provider bills it)."""
    return await operations.cancel_generation(aigen, tenant_id=caller.tenant_id, generation_id=generation_id)


@router.get("/v1/providers")
async def list_providers(_: Reader, aigen: Aigen) -> list[Provider]:
    """The providers this deployment offers, their models and what each accepts."""
    return await operations.list_providers(aigen)


@router.post(
    "/v1/characters",
    status_code=status.HTTP_201_CREATED,
    responses={
        **documented("validation_failed", "not_found", "not_an_image", "asset_not_ready"),
        **follow(201, "/v1/characters/{character_id}", "character_id", "get", "patch", "delete"),
    },
)
async def create_character(body: CharacterCreate, caller: Writer, clients: Clients) -> Character:
    """A named reference image (an image asset: upload it with `POST /v1/assets`),
    sent to each provider in the form it takes (a subject reference, a first frame)."""
    return await operations.create_character(clients, tenant_id=caller.tenant_id, body=body)


@router.get("/v1/characters", responses=documented("validation_failed"))
async def list_characters(
    caller: Reader,
    aigen: Aigen,
    project: Annotated[str | None, Query(max_length=200)] = None,
    active: Annotated[bool, Query(description="Only active characters")] = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> CharacterPage:
    """The tenant's characters, newest first, optionally of one project."""
    return await operations.list_characters(
        aigen, tenant_id=caller.tenant_id, project=project, active_only=active, limit=limit, cursor=cursor
    )


@router.get("/v1/characters/{character_id}", responses=documented("not_found"))
async def get_character(character_id: str, caller: Reader, aigen: Aigen) -> Character:
    return await operations.get_character(aigen, tenant_id=caller.tenant_id, character_id=character_id)


@router.patch(
    "/v1/characters/{character_id}",
    responses=documented("not_found", "validation_failed", "not_an_image", "asset_not_ready"),
)
async def update_character(character_id: str, body: CharacterUpdate, caller: Writer, clients: Clients) -> Character:
    """Rename, (de)activate or re-image a character."""
    return await operations.update_character(clients, tenant_id=caller.tenant_id, character_id=character_id, body=body)


@router.delete(
    "/v1/characters/{character_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found")
)
async def delete_character(character_id: str, caller: Writer, aigen: Aigen) -> None:
    await operations.delete_character(aigen, tenant_id=caller.tenant_id, character_id=character_id)


@router.get("/v1/spend")
async def my_spend(caller: Reader, aigen: Aigen, entries: Annotated[int, Query(ge=1, le=100)] = 20) -> Spend:
    """The tenant's AI budget, this month's spend and the latest ledger entries."""
    return await operations.get_spend(aigen, tenant_id=caller.tenant_id, entries=entries)


@router.put(
    "/v1/admin/tenants/{tenant_id}/budget", tags=["operator"], responses=documented("not_found", "validation_failed")
)
async def set_tenant_budget(tenant_id: str, body: BudgetUpdate, _: Operator, pool: Pool, aigen: Aigen) -> Spend:
    """Set a tenant's monthly AI budget (0: unlimited; null: the deployment's default)."""
    if await tenant_store.tenant_quotas(pool, tenant_id) is None:
        raise ProblemError("not_found", f"no tenant {tenant_id}")
    return await operations.set_budget(aigen, tenant_id=tenant_id, body=body)
