"""Generations as jobs: the consumer of ``generation.requested``.

For each provider of the chain (the requested one, then its configured
fallbacks): wait for the rate-limit tokens, submit through the breaker and
retries, store the provider's task id, poll until the video is ready. The
video goes to aigen's prefix, is registered with ingest as an asset, and
``generation.completed`` is committed with the charge in the ledger and the
inbox record, exactly once. A replica that takes a job over polls the task
already submitted; a cancelled generation stops at its next poll.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reelforge.events.v1.generation_pb2 import GenerationCompleted, GenerationRequested
from reelforge.ingest.v1.ingest_pb2 import Quota
from reelforge_aigen.admission import GENERATION_EVENTS
from reelforge_aigen.budgets import Budgets
from reelforge_aigen.calls import Attempts, CircuitOpenError, ProviderCalls
from reelforge_aigen.config import AigenSettings
from reelforge_aigen.limits import RateLimiter
from reelforge_aigen.pricing import MICROS, PriceList
from reelforge_aigen.providers.base import Image, Outcome, ProviderError, VideoJob, VideoProvider
from reelforge_aigen.store import assets, characters, generations, ledger
from reelforge_aigen.store.generations import GenerationRow
from reelforge_common.asset_upload import AssetUploader, UploadRefusedError, derived_job_id
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database, first_delivery
from reelforge_common.db.connection import Connection
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import Metrics

log = logging.getLogger(__name__)
GENERATIONS_CONSUMER = "aigen-generations"
MAX_DELIVER = 5


class AssetNotSeenYetError(Exception):
    """An image asset the request names has not reached aigen yet."""


class CancelledGenerationError(Exception):
    """The tenant cancelled the generation while it ran."""


@dataclass(frozen=True)
class Made:
    provider: VideoProvider
    model: str
    outcome: Outcome
    estimate_micros: int


class Generator:
    def __init__(
        self,
        settings: AigenSettings,
        db: Database,
        store: ObjectStore,
        providers: dict[str, VideoProvider],
        calls: ProviderCalls,
        limiter: RateLimiter,
        prices: PriceList,
        budgets: Budgets,
        uploader: AssetUploader,
        metrics: Metrics,
    ) -> None:
        self._settings = settings
        self._db = db
        self._store = store
        self._providers = providers
        self._calls = calls
        self._limiter = limiter
        self._prices = prices
        self._budgets = budgets
        self._uploader = uploader
        self._outcomes = metrics.counter(
            "generations_total", "Generations ended, by provider and outcome (succeeded or the error code).",
            ["provider", "outcome"],
        )  # fmt: skip
        self._spend = metrics.counter("spend_usd_total", "Charges recorded in the ledger, in USD.", ["provider"])

    def routes(self) -> tuple[Route[GenerationRequested]]:
        return (Route("generation.requested", GenerationRequested, self.on_requested),)

    async def on_requested(self, event: Event[GenerationRequested]) -> None:
        tenant_id, generation_id = event.tenant_id, event.payload.generation_id
        row = await generations.get(self._db.pool, tenant_id, generation_id)
        if row is None or row.status not in generations.OPEN:
            return  # cancelled meanwhile, answered from the cache, or finished by an earlier delivery
        await generations.start(self._db.pool, tenant_id, generation_id)
        deadline = row.created_at.timestamp() + self._settings.generation_timeout_s
        attempts = Attempts(row.attempts)
        with tempfile.TemporaryDirectory(dir=self._settings.work_dir, prefix="gen-") as folder:
            video = Path(folder) / "video.mp4"
            try:
                async with asyncio.timeout(max(deadline - datetime.now(UTC).timestamp(), 0.0)):
                    made = await self._make(row, event, video, attempts)
                await self._check_not_cancelled(row)
                await self._progress(row, event, "storing", 0.85)
                key = self._store.key(tenant_id, generation_id, "video.mp4")
                await self._store.put_file(key, str(video), content_type="video/mp4")
                await self._progress(row, event, "registering", 0.9)
                # The ingest job id comes from the generation's: a retry gets the asset the first try made.
                asset_id = await self._uploader.upload(
                    video,
                    tenant_id=tenant_id,
                    job_id=derived_job_id(generation_id),
                    filename=f"{generation_id}.mp4",
                    content_type="video/mp4",
                    quota=Quota(max_upload_bytes=row.quota_max_bytes, max_duration_s=row.quota_max_duration_s),
                )
            except CancelledGenerationError:
                return  # the cancellation failed the job already
            except ProviderError as exc:
                await self._fail(row, event, exc.code, exc.message, attempts)
                return
            except UploadRefusedError as exc:
                await self._fail(row, event, exc.code, exc.message, attempts)
                return
            except TimeoutError:
                timeout = self._settings.generation_timeout_s
                await self._fail(row, event, "generation_timeout", f"not finished within {timeout:.0f} s", attempts)
                return
            except AssetNotSeenYetError as exc:
                if event.attempt < MAX_DELIVER:
                    raise  # retried: ingest's asset.ingested may still be on its way
                await self._fail(row, event, "not_found", f"no image asset {exc}", attempts)
                return
            except Exception as exc:
                if event.attempt < MAX_DELIVER:
                    raise  # retried after the subscription's backoff
                await self._fail(
                    row, event, "generation_failed", f"gave up after {event.attempt} attempts: {exc}", attempts
                )
                return
        await self._succeed(row, event, made, key, asset_id, attempts)

    async def _inputs(self, row: GenerationRow) -> tuple[Image | None, Image | None]:
        """The first frame and the character's reference, read from their assets."""
        spec, pool = row.spec, self._db.pool
        character_asset = ""
        if spec.character_id:
            character = await characters.get(pool, row.tenant_id, spec.character_id)
            if character is None:
                raise ProviderError("not_found", f"character {spec.character_id} was deleted", retryable=False)
            character_asset = character.image_asset_id
        images: list[Image | None] = []
        for asset_id in (spec.image_asset_id, character_asset):
            if not asset_id:
                images.append(None)
                continue
            image = await assets.get(pool, row.tenant_id, asset_id)
            if image is None:
                raise AssetNotSeenYetError(asset_id)
            data = await self._store.read(image.original_key)
            images.append(Image(data, image.content_type))
        return images[0], images[1]

    def _chain(self, row: GenerationRow) -> list[str]:
        """The requested provider, then its configured fallbacks (each once)."""
        names = [row.spec.provider, *self._settings.fallbacks.get(row.spec.provider, [])]
        if row.provider_task_id and row.provider in names:  # resume where the task is
            names = names[names.index(row.provider) :]
        return [name for i, name in enumerate(names) if name in self._providers and name not in names[:i]]

    async def _make(
        self, row: GenerationRow, event: Event[GenerationRequested], video: Path, attempts: Attempts
    ) -> Made:
        first_frame, character = await self._inputs(row)
        last: ProviderError | None = None
        for name in self._chain(row):
            provider = self._providers[name]
            spec = row.spec
            if name == spec.provider:
                model, duration_s, resolution = spec.model, spec.duration_s, spec.resolution
            else:  # a fallback: its default model, as close to the request as it makes
                model = provider.default_model
                duration_s, resolution = provider.models[model].nearest(
                    duration_s=spec.duration_s, resolution=spec.resolution
                )
            job = VideoJob(
                generation_id=row.id, model=model, prompt=spec.prompt, duration_s=duration_s, resolution=resolution,
                aspect=spec.aspect, seed=spec.seed, first_frame=first_frame, character=character,
            )  # fmt: skip
            try:
                estimate = await self._take_on(row, provider, job)
                outcome = await self._run_on(row, event, provider, job, video, attempts)
            except ProviderError as exc:
                if exc.code == "provider_rejected" or exc.code == "budget_exceeded":
                    raise  # the request itself, not the provider: another would refuse it too
                log.warning("provider failed, trying the next", extra={"provider": name, "code": exc.code})
                last = exc
                row = await self._reload(row)
                continue
            return Made(provider, model, outcome, estimate)
        raise last or ProviderError("provider_unavailable", "no provider could take the generation", retryable=False)

    async def _take_on(self, row: GenerationRow, provider: VideoProvider, job: VideoJob) -> int:
        """Make ``provider`` the generation's: its model must fit and its price the budget."""
        if provider.name == row.provider:
            return row.estimate_micros
        model = provider.models[job.model]
        problems = model.problems(
            duration_s=job.duration_s, resolution=job.resolution, aspect=job.aspect,
            image=job.first_frame is not None, character=job.character is not None,
        )  # fmt: skip
        if problems:
            raise ProviderError(
                "provider_unavailable", f"fallback {provider.name}: {'; '.join(problems)}", retryable=False
            )
        estimate = self._prices.video_micros(
            provider.name, job.model, duration_s=job.duration_s, resolution=job.resolution
        )
        async with self._db.transaction() as conn:
            standing = await self._budgets.standing_locked(conn, row.tenant_id)
            if not standing.allows(estimate - row.estimate_micros):
                raise ProviderError("budget_exceeded", standing.refusal(estimate), retryable=False)
            await generations.set_provider(
                conn, row.tenant_id, row.id, provider=provider.name, model=job.model, estimate_micros=estimate,
                procedural=provider.procedural,
            )  # fmt: skip
        return estimate

    async def _run_on(
        self,
        row: GenerationRow,
        event: Event[GenerationRequested],
        provider: VideoProvider,
        job: VideoJob,
        video: Path,
        attempts: Attempts,
    ) -> Outcome:
        name = provider.name
        if row.provider_task_id and row.provider == name:
            task_id = row.provider_task_id
        else:
            await self._progress(row, event, "waiting_for_rate_limit", 0.02)
            await self._limiter.acquire(name, row.tenant_id, timeout_s=self._settings.generation_timeout_s)
            await self._progress(row, event, "submitting", 0.05)
            outcome = await self._calls.call(name, lambda: provider.submit(job, video), attempts)
            if outcome.done:
                return outcome
            task_id = outcome.task_id
            await generations.set_task(self._db.pool, row.tenant_id, row.id, task_id=task_id, attempts=attempts.count)
        await self._progress(row, event, "generating", 0.1)
        while True:
            await self._check_not_cancelled(row)
            await asyncio.sleep(self._settings.poll_interval_s)
            try:
                outcome = await self._calls.call(name, lambda: provider.poll(task_id, video), attempts)
            except CircuitOpenError:
                continue  # the task is the provider's already: wait for it to answer again
            if outcome.done:
                return outcome
            if outcome.fraction is not None:
                await self._progress(row, event, "generating", 0.1 + 0.7 * outcome.fraction)

    async def _reload(self, row: GenerationRow) -> GenerationRow:
        found = await generations.get(self._db.pool, row.tenant_id, row.id)
        return found or row

    async def _check_not_cancelled(self, row: GenerationRow) -> None:
        current = await generations.get(self._db.pool, row.tenant_id, row.id)
        if current is None or current.status == "cancelled":
            raise CancelledGenerationError(row.id)

    async def _progress(
        self, row: GenerationRow, event: Event[GenerationRequested], stage: str, fraction: float
    ) -> None:
        async with self._db.transaction() as conn:
            await GENERATION_EVENTS.progress(
                conn, tenant_id=row.tenant_id, job_id=row.job_id, resource_id=row.id, stage=stage, fraction=fraction,
                causation_id=event.event_id,
            )  # fmt: skip

    async def _succeed(
        self, row: GenerationRow, event: Event[GenerationRequested], made: Made, key: str, asset_id: str,
        attempts: Attempts,
    ) -> None:  # fmt: skip
        cost = made.outcome.cost_micros if made.outcome.cost_micros is not None else made.estimate_micros
        async with self._db.transaction() as conn:
            if not await first_delivery(conn, consumer=GENERATIONS_CONSUMER, event_id=event.event_id):
                return
            current = await generations.get(conn, row.tenant_id, row.id, lock=True)
            if current is None or current.status not in generations.OPEN:
                return  # cancelled at the last moment: the asset stays the tenant's, nothing is charged twice
            await ledger.charge(
                conn, tenant_id=row.tenant_id, kind="generation", provider=made.provider.name, model=made.model,
                amount_micros=cost, generation_id=row.id, job_id=row.job_id,
            )  # fmt: skip
            await generations.succeed(
                conn, row.tenant_id, row.id, cost_micros=cost, video_key=key, asset_id=asset_id, attempts=attempts.count
            )
            completed = GenerationCompleted(
                generation_id=row.id, asset_id=asset_id, provider=made.provider.name, model=made.model,
                cost_micros=cost, video_key=key,
            )  # fmt: skip
            await GENERATION_EVENTS.emit(
                conn, "completed", completed, tenant_id=row.tenant_id, job_id=row.job_id, causation_id=event.event_id
            )
        self._outcomes.labels(made.provider.name, "succeeded").inc()
        self._spend.labels(made.provider.name).inc(cost / MICROS)
        log.info("generation succeeded", extra={"generation_id": row.id, "provider": made.provider.name})

    async def _fail(
        self, row: GenerationRow, event: Event[GenerationRequested], code: str, message: str, attempts: Attempts
    ) -> None:
        async def record(conn: Connection) -> bool:
            await generations.set_task(conn, row.tenant_id, row.id, task_id="", attempts=attempts.count)
            return await generations.finish_unsuccessfully(
                conn, row.tenant_id, row.id, status="failed", code=code, message=message
            )

        failed = await GENERATION_EVENTS.fail_once(
            self._db,
            consumer=GENERATIONS_CONSUMER,
            event_id=event.event_id,
            record=record,
            tenant_id=row.tenant_id,
            job_id=row.job_id,
            resource_id=row.id,
            code=code,
            message=message,
            stage="generating",
        )
        if failed:
            self._outcomes.labels(row.provider, code).inc()
            log.info("generation failed", extra={"generation_id": row.id, "code": code})
