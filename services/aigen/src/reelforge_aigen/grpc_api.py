"""The ``reelforge.aigen.v1.Aigen`` gRPC service, called by the gateway and by render."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import grpc

from reelforge.aigen.v1 import aigen_pb2, aigen_pb2_grpc
from reelforge_aigen.admission import GENERATION_EVENTS, Admission
from reelforge_aigen.budgets import Budgets, Standing
from reelforge_aigen.calls import ProviderCalls
from reelforge_aigen.completions import Completions
from reelforge_aigen.config import AigenSettings
from reelforge_aigen.providers.base import ProviderError, VideoProvider
from reelforge_aigen.spec import Spec
from reelforge_aigen.store import characters, generations, ledger
from reelforge_aigen.store.characters import CharacterRow
from reelforge_aigen.store.generations import GenerationRow
from reelforge_common.db import Database
from reelforge_common.grpc_server import RefusedError, refusing
from reelforge_common.pagination import after_cursor, encode_cursor, page_size
from reelforge_common.proto_time import timestamp
from reelforge_common.storage import ObjectStore

SERVICE_NAME = "reelforge.aigen.v1.Aigen"
_STATUSES = {"queued", "running", "succeeded", "failed", "cancelled"}
_NAME = re.compile(r"^\S(.{0,198}\S)?$")
_STATUS = {
    "validation_failed": grpc.StatusCode.INVALID_ARGUMENT,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "budget_exceeded": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "provider_rate_limited": grpc.StatusCode.UNAVAILABLE,
    "provider_unavailable": grpc.StatusCode.UNAVAILABLE,
}
_MAX_TOKENS = 4096


def _after(cursor: str) -> tuple[datetime, str] | None:
    try:
        return after_cursor(cursor)
    except ValueError as exc:
        raise RefusedError("validation_failed", str(exc)) from None


def _character(row: CharacterRow) -> aigen_pb2.Character:
    return aigen_pb2.Character(
        id=row.id,
        project=row.project,
        name=row.name,
        image_asset_id=row.image_asset_id,
        active=row.active,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
    )


def _spend(standing: Standing, entries: list[ledger.Entry]) -> aigen_pb2.Spend:
    return aigen_pb2.Spend(
        budget_micros=standing.budget_micros,
        spent_micros=standing.spent_micros,
        reserved_micros=standing.reserved_micros,
        period_start=timestamp(standing.period_start),
        default_budget=standing.default_budget,
        entries=[
            aigen_pb2.LedgerEntry(
                generation_id=e.generation_id,
                provider=e.provider,
                model=e.model,
                amount_micros=e.amount_micros,
                kind=e.kind,
                at=timestamp(e.at),
            )
            for e in entries
        ],
    )


class AigenService(aigen_pb2_grpc.AigenServicer):
    def __init__(
        self,
        settings: AigenSettings,
        db: Database,
        store: ObjectStore,
        providers: dict[str, VideoProvider],
        admission: Admission,
        budgets: Budgets,
        calls: ProviderCalls,
        completions: Completions,
    ) -> None:
        self._settings = settings
        self._db = db
        self._store = store
        self._providers = providers
        self._admission = admission
        self._budgets = budgets
        self._calls = calls
        self._completions = completions
        self._expiry = timedelta(seconds=settings.url_expiry_s)

    def register(self, server: grpc.aio.Server) -> None:
        aigen_pb2_grpc.add_AigenServicer_to_server(self, server)

    async def _generation(self, row: GenerationRow) -> aigen_pb2.Generation:
        message = aigen_pb2.Generation(
            id=row.id,
            job_id=row.job_id,
            status=row.status,
            spec=row.spec.to_message(row.tenant_id),
            provider=row.provider,
            model=row.model,
            estimate_micros=row.estimate_micros,
            cost_micros=row.cost_micros,
            cached_from=row.cached_from,
            asset_id=row.asset_id,
            procedural=row.procedural,
            error_code=row.error_code or "",
            error_message=row.error_message or "",
            created_at=timestamp(row.created_at),
            completed_at=timestamp(row.completed_at),
            attempts=row.attempts,
        )
        if row.status == "succeeded" and row.video_key:
            message.video_url = await self._store.presigned_get(row.video_key, self._expiry)
            message.url_expires_at.CopyFrom(timestamp(datetime.now(UTC) + self._expiry))
        return message

    async def ListProviders(
        self, request: aigen_pb2.ListProvidersRequest, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.ProviderList:
        listed = []
        for name, provider in sorted(self._providers.items()):
            models = [
                aigen_pb2.ModelInfo(
                    name=m.name,
                    durations_s=list(m.durations_s),
                    min_duration_s=m.min_s if not m.durations_s else float(min(m.durations_s)),
                    max_duration_s=m.max_s if not m.durations_s else float(max(m.durations_s)),
                    resolutions=list(m.resolutions),
                    aspects=list(m.aspects),
                    accepts_image=m.accepts_image,
                    accepts_character=m.accepts_character,
                    is_default=m.name == provider.default_model,
                )
                for m in provider.models.values()
            ]
            listed.append(
                aigen_pb2.ProviderInfo(
                    name=name,
                    procedural=provider.procedural,
                    models=models,
                    circuit=self._calls.breaker(name).state,
                    fallbacks=self._settings.fallbacks.get(name, []),
                )
            )
        return aigen_pb2.ProviderList(providers=listed)

    @refusing(_STATUS)
    async def EstimateGeneration(
        self, request: aigen_pb2.GenerationSpec, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Estimate:
        priced, standing, cached = await self._admission.estimate(request.tenant_id, Spec.from_message(request))
        cost = 0 if cached else priced.cost_micros
        return aigen_pb2.Estimate(
            provider=priced.spec.provider,
            model=priced.spec.model,
            cost_micros=cost,
            budget_micros=standing.budget_micros,
            spent_micros=standing.spent_micros,
            reserved_micros=standing.reserved_micros,
            within_budget=standing.allows(cost),
            cached=cached,
        )

    @refusing(_STATUS)
    async def RequestGeneration(
        self, request: aigen_pb2.GenerationRequest, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Generation:
        spec = request.spec
        row = await self._admission.accept(spec.tenant_id, request.job_id, Spec.from_message(spec), request.quota)
        return await self._generation(row)

    @refusing(_STATUS)
    async def GetGeneration(
        self, request: aigen_pb2.GenerationRef, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Generation:
        row = await generations.get(self._db.pool, request.tenant_id, request.generation_id)
        if row is None:
            raise RefusedError("not_found", f"no generation {request.generation_id}")
        return await self._generation(row)

    @refusing(_STATUS)
    async def ListGenerations(
        self, request: aigen_pb2.ListGenerationsRequest, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.GenerationPage:
        if request.status and request.status not in _STATUSES:
            raise RefusedError("validation_failed", f"status must be one of {', '.join(sorted(_STATUSES))}")
        limit = page_size(request.page_size)
        rows = await generations.page(
            self._db.pool,
            request.tenant_id,
            status=request.status,
            provider=request.provider,
            limit=limit + 1,
            after=_after(request.page_token),
        )
        page = aigen_pb2.GenerationPage(generations=[await self._generation(r) for r in rows[:limit]])
        if len(rows) > limit:
            page.next_page_token = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
        return page

    @refusing(_STATUS)
    async def CancelGeneration(
        self, request: aigen_pb2.GenerationRef, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Generation:
        """Cancel an open generation. A task the provider already runs is
        charged at its estimate: the provider finishes (and bills) it anyway."""
        async with self._db.transaction() as conn:
            row = await generations.get(conn, request.tenant_id, request.generation_id, lock=True)
            if row is None:
                raise RefusedError("not_found", f"no generation {request.generation_id}")
            if row.status not in generations.OPEN:
                raise RefusedError("conflict", f"generation {row.id} has ended ({row.status})")
            charge = row.estimate_micros if row.provider_task_id else 0
            message = "cancelled by the tenant"
            await generations.finish_unsuccessfully(
                conn, row.tenant_id, row.id, status="cancelled", code="cancelled", message=message, cost_micros=charge
            )
            if charge:
                await ledger.charge(
                    conn, tenant_id=row.tenant_id, kind="generation", provider=row.provider, model=row.model,
                    amount_micros=charge, generation_id=row.id, job_id=row.job_id,
                )  # fmt: skip
            await GENERATION_EVENTS.failed(
                conn, tenant_id=row.tenant_id, job_id=row.job_id, resource_id=row.id, code="cancelled",
                message=message, stage=row.status,
            )  # fmt: skip
            cancelled = await generations.get(conn, row.tenant_id, row.id)
        assert cancelled is not None
        return await self._generation(cancelled)

    # Characters.

    @refusing(_STATUS)
    async def CreateCharacter(
        self, request: aigen_pb2.CreateCharacterRequest, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Character:
        _check_name(request.name, "name")
        if request.project:
            _check_name(request.project, "project")
        if not request.image_asset_id:
            raise RefusedError("validation_failed", "image_asset_id: a character needs a reference image")
        row = await characters.create(
            self._db.pool,
            tenant_id=request.tenant_id,
            character_id="ch_" + uuid.uuid4().hex,
            project=request.project,
            name=request.name,
            image_asset_id=request.image_asset_id,
        )
        return _character(row)

    @refusing(_STATUS)
    async def ListCharacters(
        self, request: aigen_pb2.ListCharactersRequest, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.CharacterPage:
        limit = page_size(request.page_size)
        rows = await characters.page(
            self._db.pool,
            request.tenant_id,
            project=request.project,
            active_only=request.active_only,
            limit=limit + 1,
            after=_after(request.page_token),
        )
        page = aigen_pb2.CharacterPage(characters=[_character(r) for r in rows[:limit]])
        if len(rows) > limit:
            page.next_page_token = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
        return page

    @refusing(_STATUS)
    async def GetCharacter(
        self, request: aigen_pb2.CharacterRef, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Character:
        row = await characters.get(self._db.pool, request.tenant_id, request.character_id)
        if row is None:
            raise RefusedError("not_found", f"no character {request.character_id}")
        return _character(row)

    @refusing(_STATUS)
    async def UpdateCharacter(
        self, request: aigen_pb2.UpdateCharacterRequest, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Character:
        if request.HasField("name"):
            _check_name(request.name, "name")
        row = await characters.update(
            self._db.pool,
            request.tenant_id,
            request.character_id,
            name=request.name if request.HasField("name") else None,
            active=request.active if request.HasField("active") else None,
            image_asset_id=request.image_asset_id if request.HasField("image_asset_id") else None,
        )
        if row is None:
            raise RefusedError("not_found", f"no character {request.character_id}")
        return _character(row)

    @refusing(_STATUS)
    async def DeleteCharacter(
        self, request: aigen_pb2.CharacterRef, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Deleted:
        if not await characters.delete(self._db.pool, request.tenant_id, request.character_id):
            raise RefusedError("not_found", f"no character {request.character_id}")
        return aigen_pb2.Deleted()

    # Spend.

    async def GetSpend(self, request: aigen_pb2.SpendRequest, context: grpc.aio.ServicerContext) -> aigen_pb2.Spend:
        standing = await self._budgets.standing(self._db.pool, request.tenant_id)
        entries = await ledger.latest(self._db.pool, request.tenant_id, page_size(request.entries))
        return _spend(standing, entries)

    @refusing(_STATUS)
    async def SetBudget(
        self, request: aigen_pb2.SetBudgetRequest, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Spend:
        monthly = request.monthly_micros if request.HasField("monthly_micros") else None
        if monthly is not None and monthly < 0:
            raise RefusedError("validation_failed", "monthly_micros: a budget is not negative")
        await ledger.set_budget(self._db.pool, request.tenant_id, monthly)
        return await self.GetSpend(aigen_pb2.SpendRequest(tenant_id=request.tenant_id), context)

    # Completions.

    @refusing(_STATUS)
    async def Complete(
        self, request: aigen_pb2.CompletionRequest, context: grpc.aio.ServicerContext
    ) -> aigen_pb2.Completion:
        if not request.messages or any(m.role not in {"system", "user", "assistant"} for m in request.messages):
            raise RefusedError("validation_failed", "messages: at least one, each of role system, user or assistant")
        try:
            done = await self._completions.complete(
                tenant_id=request.tenant_id,
                job_id=request.job_id,
                messages=[{"role": m.role, "content": m.content} for m in request.messages],
                json_mode=request.json,
                max_tokens=min(request.max_tokens or 512, _MAX_TOKENS),
                temperature=request.temperature,
            )
        except ProviderError as exc:
            raise RefusedError(exc.code, exc.message) from None
        reply = done.reply
        return aigen_pb2.Completion(
            content=reply.content,
            provider="llm",
            model=reply.model,
            cost_micros=done.cost_micros,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
        )


def _check_name(value: str, field: str) -> None:
    if not _NAME.match(value):
        raise RefusedError("validation_failed", f"{field}: 1 to 200 characters, not starting or ending with a space")
