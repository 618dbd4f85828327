"""The asynchronous client: :class:`~reelforge_sdk.client.Client` with ``await``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from reelforge_sdk import endpoints
from reelforge_sdk.calls import USER_AGENT, Call, ClientConfig, read_result, request_args
from reelforge_sdk.clips import ClipJob, clip_job_body
from reelforge_sdk.endpoints import Span
from reelforge_sdk.errors import ReelforgeError
from reelforge_sdk.generations import Character, Estimate, Generation, Spend, generation_body
from reelforge_sdk.models import (
    JSON,
    ApiKey,
    Asset,
    DownloadLink,
    Frame,
    Job,
    Page,
    QuotaReport,
    Tenant,
    TenantWithKey,
    Upload,
)
from reelforge_sdk.multipart import MultipartFile
from reelforge_sdk.pose import (
    Comparison,
    ComparisonVideo,
    PoseAnalysis,
    PoseSignals,
    PracticeSession,
    SessionExport,
)
from reelforge_sdk.projects import Export, Mix, Project, export_body, mix_body
from reelforge_sdk.retry import PART_RETRYABLE_STATUSES, Attempts, RetryPolicy
from reelforge_sdk.transcripts import Transcript
from reelforge_sdk.uploads import (
    DEFAULT_MULTIPART_THRESHOLD,
    DEFAULT_PART_CONCURRENCY,
    PartSpan,
    PartTracker,
    ProgressCallback,
    file_size,
    missing_parts,
    read_part,
)
from reelforge_sdk.waiting import AssetWait
from reelforge_sdk.watch import JobWatch
from reelforge_sdk.webhooks import Delivery, EmailSettings, Webhook

T = TypeVar("T")


class AsyncClient:
    """The Reelforge API, asynchronously; the same methods as ``Client``, awaited.

    ``api_url`` and ``api_key`` default to ``REELFORGE_API_URL`` and
    ``REELFORGE_API_KEY``. Errors raise :class:`~reelforge_sdk.ReelforgeError`.
    ``transport`` (e.g. ``httpx.MockTransport``) and ``sleep`` are for tests.
    Use it as an async context manager, or await :meth:`aclose`.
    """

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config = ClientConfig.resolve(api_url, api_key, timeout, retry)
        self._http = httpx.AsyncClient(
            base_url=self._config.api_url,
            timeout=self._config.timeout,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
        )
        self._sleep = sleep

    @property
    def api_url(self) -> str:
        return self._config.api_url

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # Tenants (operator token)

    async def create_tenant(
        self, name: str, operator_token: str, *, idempotency_key: str | None = None
    ) -> TenantWithKey:
        """Create a tenant and its first API key (all scopes); the token is shown once."""
        return await self._send(endpoints.create_tenant(name, operator_token, idempotency_key))

    async def list_tenants(self, operator_token: str) -> list[Tenant]:
        """Every tenant."""
        return await self._send(endpoints.list_tenants(operator_token))

    # Quotas

    async def get_quotas(self) -> QuotaReport:
        """The caller's quotas, rate limit and usage this month."""
        return await self._send(endpoints.get_quotas())

    async def tenant_quotas(self, tenant_id: str, operator_token: str) -> QuotaReport:
        """A tenant's quotas, rate limit and usage this month (operator token)."""
        return await self._send(endpoints.tenant_quotas(tenant_id, operator_token))

    async def set_tenant_quotas(self, tenant_id: str, operator_token: str, **changes: float | None) -> QuotaReport:
        """Change some of a tenant's quotas (operator token); returns the report after the change.

        Each keyword is a quota name (``QUOTA_NAMES``): a number sets it,
        ``None`` returns it to the gateway's default, and quotas left out stay
        as they are. The API refuses unknown names (``validation_failed``).
        """
        return await self._send(endpoints.set_tenant_quotas(tenant_id, operator_token, changes))

    # API keys (admin scope)

    async def create_api_key(
        self, name: str = "", scopes: Sequence[str] | None = None, *, idempotency_key: str | None = None
    ) -> ApiKey:
        """A new key for the caller's tenant; ``token`` is only in this answer."""
        return await self._send(endpoints.create_api_key(name, scopes, idempotency_key))

    async def list_api_keys(self) -> list[ApiKey]:
        """Every key of the tenant, revoked ones included, without secrets."""
        return await self._send(endpoints.list_api_keys())

    async def revoke_api_key(self, key_id: str) -> None:
        """Revoke a key at once."""
        await self._send(endpoints.revoke_api_key(key_id))

    async def rotate_api_key(self, key_id: str, *, idempotency_key: str | None = None) -> ApiKey:
        """Replace a key by a new one with the same name and scopes; the old one is revoked."""
        return await self._send(endpoints.rotate_api_key(key_id, idempotency_key))

    # Uploads and imports

    async def upload(
        self,
        path: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        part_size: int | None = None,
        content_type: str | None = None,
        concurrency: int = DEFAULT_PART_CONCURRENCY,
        idempotency_key: str | None = None,
    ) -> Asset:
        """Upload a media file; returns the asset (status ``processing``).

        Files below ``multipart_threshold`` bytes are streamed in one request;
        larger ones go up as presigned parts, ``concurrency`` at a time
        (``part_size`` is a hint; the server decides). ``on_progress(sent,
        total)`` hears of the bytes sent. If parts fail, :class:`UploadInterruptedError`
        names the asset to pass to :meth:`resume_upload`.
        """
        file = Path(path)
        size = file_size(file)
        if size == 0 or size < multipart_threshold:
            body = MultipartFile(file, content_type=content_type)
            return await self._send(endpoints.upload_asset(body, idempotency_key), on_progress)
        upload = await self._send(endpoints.create_upload(file, size, content_type, part_size, idempotency_key))
        return await self._upload_parts(upload, file, size, on_progress, concurrency)

    async def resume_upload(
        self,
        asset_id: str,
        path: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        concurrency: int = DEFAULT_PART_CONCURRENCY,
    ) -> Asset:
        """Finish an interrupted multipart upload, sending only the parts the server lacks."""
        file = Path(path)
        upload = await self._send(endpoints.get_upload(asset_id))
        return await self._upload_parts(upload, file, file_size(file), on_progress, concurrency)

    async def get_upload(self, asset_id: str) -> Upload:
        """A multipart upload: stored parts, and fresh URLs for the missing ones."""
        return await self._send(endpoints.get_upload(asset_id))

    async def abort_upload(self, asset_id: str) -> None:
        """Abandon a multipart upload and its stored parts."""
        await self._send(endpoints.abort_upload(asset_id))

    async def import_url(self, url: str, filename: str | None = None, *, idempotency_key: str | None = None) -> Asset:
        """Have the server fetch media from ``url``; returns the asset (status ``importing``)."""
        return await self._send(endpoints.import_url(url, filename, idempotency_key))

    # Assets

    async def list_assets(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[Asset]:
        """One page of the tenant's assets."""
        return await self._send(endpoints.list_assets(status, limit, cursor))

    async def iter_assets(self, *, status: str | None = None, page_size: int | None = None) -> AsyncIterator[Asset]:
        """Every asset, following ``next_cursor`` page after page."""
        cursor: str | None = None
        while True:
            page = await self.list_assets(status=status, limit=page_size, cursor=cursor)
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    async def get_asset(self, asset_id: str) -> Asset:
        return await self._send(endpoints.get_asset(asset_id))

    async def delete_asset(self, asset_id: str) -> None:
        await self._send(endpoints.delete_asset(asset_id))

    async def download_url(self, asset_id: str) -> DownloadLink:
        """A presigned URL to the original media."""
        return await self._send(endpoints.download_url(asset_id))

    async def extract_frames(
        self,
        asset_id: str,
        *,
        timestamps: Sequence[float] | None = None,
        position: str | None = None,
        format: str = "png",
        quality: int = 90,
        idempotency_key: str | None = None,
    ) -> list[Frame]:
        """Still frames of a video asset, each stored as a new image asset:
        the frame shown at or after each of ``timestamps`` (seconds), or
        ``position`` "first" or "last". The image assets are processing until
        their thumbnails exist (``wait_for_asset``)."""
        call = endpoints.extract_frames(asset_id, timestamps, position, format, quality, idempotency_key)
        return await self._send(call)

    async def download(self, url: str, path: str | os.PathLike[str]) -> Path:
        """As :meth:`Client.download`."""
        target = Path(path)
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ReelforgeError.download_failed(response.status_code, target.name)
                file = await asyncio.to_thread(target.open, "wb")
                try:
                    async for chunk in response.aiter_bytes():
                        await asyncio.to_thread(file.write, chunk)
                finally:
                    await asyncio.to_thread(file.close)
        except httpx.TransportError as exc:
            raise ReelforgeError.from_transport(exc, url) from exc
        return target

    async def wait_for_asset(
        self,
        asset_id: str,
        *,
        timeout: float = 600.0,  # noqa: ASYNC109 - the same signature as Client's
        poll_interval: float = 0.5,
        on_update: Callable[[Asset], None] | None = None,
    ) -> Asset:
        """Poll the asset until it is ready or failed, and return it (check ``status``).

        Raises ``ReelforgeError`` with code ``timeout`` after ``timeout`` seconds.
        ``on_update`` sees every polled state.
        """
        wait = AssetWait(timeout=timeout, poll_interval=poll_interval)
        while True:
            asset = await self.get_asset(asset_id)
            if on_update is not None:
                on_update(asset)
            if asset.is_terminal:
                return asset
            await self._sleep(wait.next_delay(asset))

    # Jobs

    async def list_jobs(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Job]:
        """One page of the tenant's jobs, most recently updated first."""
        return await self._send(endpoints.list_jobs(status, kind, limit, cursor))

    async def iter_jobs(
        self, *, status: str | None = None, kind: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[Job]:
        """Every job, following ``next_cursor`` page after page."""
        cursor: str | None = None
        while True:
            page = await self.list_jobs(status=status, kind=kind, limit=page_size, cursor=cursor)
            for item in page.items:
                yield item
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    async def get_job(self, job_id: str) -> Job:
        return await self._send(endpoints.get_job(job_id))

    def watch_job(self, job_id: str) -> AsyncIterator[Job]:
        """The job's states as they change (Server-Sent Events), ending at succeeded or failed."""
        return self._watch(endpoints.job_events(job_id), until_terminal=True)

    def watch_events(self) -> AsyncIterator[Job]:
        """Every job change of the tenant, as it happens; never ends by itself."""
        return self._watch(endpoints.tenant_events(), until_terminal=False)

    # Transcriptions

    async def create_transcription(
        self,
        asset_id: str,
        *,
        language: str | None = None,
        model: str | None = None,
        word_timestamps: bool = True,
        prompt: str | None = None,
        hotwords: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start transcribing a ready asset's speech; returns the job (kind ``transcription``).

        ``language`` (ISO 639-1, e.g. ``en``) and ``model`` default to detection
        and the deployment's model; ``prompt`` is text that precedes the
        first window (spelling, style); ``hotwords`` are words and names to favour.
        """
        return await self._send(
            endpoints.create_transcription(
                asset_id, language, model, word_timestamps, prompt, idempotency_key, hotwords
            )
        )

    async def get_transcript(self, asset_id: str, format: str = "json") -> str:
        """The asset's latest transcript as sent: ``json``, ``srt``, ``vtt`` or ``txt``."""
        return await self._send(endpoints.get_transcript(asset_id, format))

    async def get_transcript_json(self, asset_id: str) -> Transcript:
        """The asset's latest transcript, parsed: segments with their words and timings."""
        return await self._send(endpoints.get_transcript_json(asset_id))

    # Pose analyses and comparisons

    async def create_pose_analysis(
        self,
        asset_id: str,
        *,
        sample_fps: float | None = None,
        max_people: int | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start the pose analysis of a ready video asset; returns the job (kind ``pose``)."""
        return await self._send(endpoints.create_pose_analysis(asset_id, sample_fps, max_people, idempotency_key))

    async def get_pose_analysis(self, asset_id: str) -> PoseAnalysis:
        return await self._send(endpoints.get_pose_analysis(asset_id))

    async def get_pose_signals(self, asset_id: str) -> PoseSignals:
        return await self._send(endpoints.get_pose_signals(asset_id))

    async def create_comparison(
        self,
        reference_asset_id: str,
        attempt_asset_id: str,
        *,
        reference_span: Span | None = None,
        attempt_span: Span | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Start comparing an attempt with a reference; returns the job (kind ``compare``)."""
        return await self._send(
            endpoints.create_comparison(
                reference_asset_id, attempt_asset_id, reference_span, attempt_span, idempotency_key
            )
        )

    async def get_comparison(self, comparison_id: str, *, alignment: bool = False) -> Comparison:
        return await self._send(endpoints.get_comparison(comparison_id, alignment))

    async def create_comparison_video(
        self,
        comparison_id: str,
        *,
        resolution: str = "720p",
        format: str = "mp4",
        layout: str = "side_by_side",
        idempotency_key: str | None = None,
    ) -> Job:
        """A video of a completed comparison: reference and attempt side by
        side (or ``layout="interleaved"``: a second of each in turn),
        time-aligned, skeletons, score and feedback drawn. Returns the job
        (kind ``comparevideo``, its ``resource_id`` the video)."""
        return await self._send(
            endpoints.create_comparison_video(comparison_id, resolution, format, layout, idempotency_key)
        )

    async def get_comparison_video(self, video_id: str) -> ComparisonVideo:
        return await self._send(endpoints.get_comparison_video(video_id))

    async def create_clip_job(
        self,
        asset_id: str | None = None,
        *,
        source_url: str | None = None,
        count: int = 3,
        min_duration: float = 10,
        max_duration: float = 60,
        aspect: str = "9:16",
        captions: dict[str, str] | None = None,
        no_captions: bool = False,
        prompt: str | None = None,
        language: str | None = None,
        export: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """As :meth:`Client.create_clip_job`."""
        body = clip_job_body(
            asset_id,
            source_url=source_url,
            count=count,
            min_duration=min_duration,
            max_duration=max_duration,
            aspect=aspect,
            captions=captions,
            no_captions=no_captions,
            prompt=prompt,
            language=language,
            export=export,
        )
        return await self._send(endpoints.create_clip_job(body, idempotency_key))

    async def get_clip_job(self, clip_job_id: str) -> ClipJob:
        return await self._send(endpoints.get_clip_job(clip_job_id))

    # Practice sessions

    async def create_session(
        self, reference_asset_id: str, *, name: str = "practice", idempotency_key: str | None = None
    ) -> PracticeSession:
        """A practice session on a reference video (a ready video asset)."""
        return await self._send(endpoints.create_session(reference_asset_id, name, idempotency_key))

    async def list_sessions(self, *, limit: int | None = None, cursor: str | None = None) -> Page[PracticeSession]:
        return await self._send(endpoints.list_sessions(limit, cursor))

    async def get_session(self, session_id: str) -> PracticeSession:
        """The session's summary: each recording's comparison as it is now, and the overall score."""
        return await self._send(endpoints.get_session(session_id))

    async def add_recording(
        self,
        session_id: str,
        asset_id: str,
        *,
        reference_span: tuple[float, float | None] | None = None,
        idempotency_key: str | None = None,
    ) -> PracticeSession:
        """The person's next attempt, compared with the reference from where the
        previous one's span ended (or ``reference_span``); answers the session."""
        body: JSON = {"asset_id": asset_id}
        if reference_span is not None:
            body["reference_span"] = {"start_s": reference_span[0], "end_s": reference_span[1]}
        return await self._send(endpoints.add_recording(session_id, body, idempotency_key))

    async def export_session(
        self,
        session_id: str,
        *,
        kind: str = "comparison",
        resolution: str = "720p",
        format: str = "mp4",
        layout: str = "side_by_side",
        idempotency_key: str | None = None,
    ) -> Job:
        """A video of the session, ``solo`` or ``comparison`` (``layout``
        side_by_side or interleaved); returns the job (kind ``sessionexport``)."""
        body = {"kind": kind, "resolution": resolution, "format": format, "layout": layout}
        return await self._send(endpoints.export_session(session_id, body, idempotency_key))

    async def get_session_export(self, export_id: str) -> SessionExport:
        return await self._send(endpoints.get_session_export(export_id))

    # Projects and exports

    async def create_project(self, name: str, *, idempotency_key: str | None = None) -> Project:
        """An empty project: add clips with ``add_to_project``, then ``export_project``."""
        return await self._send(endpoints.create_project(name, idempotency_key))

    async def list_projects(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Project]:
        """The tenant's projects, newest first (without their items)."""
        return await self._send(endpoints.list_projects(limit, cursor))

    async def get_project(self, project_id: str) -> Project:
        return await self._send(endpoints.get_project(project_id))

    async def rename_project(self, project_id: str, name: str) -> Project:
        return await self._send(endpoints.rename_project(project_id, name))

    async def delete_project(self, project_id: str) -> None:
        """Delete the project and its clip list; its exports stay."""
        await self._send(endpoints.delete_project(project_id))

    async def add_to_project(
        self,
        project_id: str,
        asset_id: str | None = None,
        *,
        clip: tuple[str, int] | None = None,
        trim_in: float = 0.0,
        trim_out: float | None = None,
        position: int | None = None,
        idempotency_key: str | None = None,
    ) -> Project:
        """Add ``trim_in``-``trim_out`` seconds (None: to the end) of a ready
        video asset, or of a clip a clip job rendered (``clip``: its id and
        the clip's index), as the project's clip at ``position`` (None: at the end)."""
        body: JSON = {"trim_in": trim_in, "trim_out": trim_out, "position": position}
        if clip is not None:
            body["clip"] = {"clip_job_id": clip[0], "index": clip[1]}
        else:
            body["asset_id"] = asset_id
        return await self._send(endpoints.add_project_item(project_id, body, idempotency_key))

    async def update_project_item(
        self,
        project_id: str,
        item_id: str,
        *,
        trim_in: float | None = None,
        trim_out: float | None = None,
        position: int | None = None,
    ) -> Project:
        """Change a clip's trim (``trim_out`` 0: the asset's end) or move it to ``position``; None: unchanged."""
        given = {"trim_in": trim_in, "trim_out": trim_out, "position": position}
        changes = {name: value for name, value in given.items() if value is not None}
        return await self._send(endpoints.update_project_item(project_id, item_id, changes))

    async def duplicate_project_item(
        self, project_id: str, item_id: str, *, idempotency_key: str | None = None
    ) -> Project:
        """A copy of the clip, right after it."""
        return await self._send(endpoints.duplicate_project_item(project_id, item_id, idempotency_key))

    async def remove_project_item(self, project_id: str, item_id: str) -> Project:
        return await self._send(endpoints.delete_project_item(project_id, item_id))

    async def export_project(
        self,
        project_id: str,
        *,
        resolution: str = "1080p",
        aspect: str = "16:9",
        fps: float = 30,
        codec: str = "h264",
        quality: str = "medium",
        audio: bool = True,
        audio_codec: str = "aac",
        audio_bitrate: int = 128,
        transitions: Sequence[tuple[str, float]] = (),
        idempotency_key: str | None = None,
    ) -> Job:
        """Join the project's clips into one MP4; returns the job (kind
        ``export``, its ``resource_id`` the export). ``transitions`` as
        ``(type, seconds)`` with type cut, crossfade or fade_to_black: none
        (cuts), one for every join, or one per join."""
        body = export_body(
            resolution=resolution,
            aspect=aspect,
            fps=fps,
            codec=codec,
            quality=quality,
            audio=audio,
            audio_codec=audio_codec,
            audio_bitrate=audio_bitrate,
            transitions=transitions,
        )
        return await self._send(endpoints.export_project(project_id, body, idempotency_key))

    async def list_exports(
        self, project_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Export]:
        """The project's export history, newest first."""
        return await self._send(endpoints.list_exports(project_id, limit, cursor))

    async def get_export(self, export_id: str) -> Export:
        return await self._send(endpoints.get_export(export_id))

    async def cancel_export(self, export_id: str, *, idempotency_key: str | None = None) -> Export:
        """Stop a queued or running export; nothing is stored."""
        return await self._send(endpoints.cancel_export(export_id, idempotency_key))

    async def rerun_export(self, export_id: str, *, idempotency_key: str | None = None) -> Job:
        """Export the same project again with the same settings."""
        return await self._send(endpoints.rerun_export(export_id, idempotency_key))

    async def create_mix(
        self,
        groups: Sequence[Sequence[str]],
        *,
        variants: int | None = None,
        combinations: Sequence[Sequence[int]] | None = None,
        name: str = "mix",
        settings: JSON | None = None,
        metadata: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Variants that each join one whole clip from every group (asset ids),
        in group order: ``variants`` distinct ones chosen for you, or the
        ``combinations`` given (one index per group). ``settings`` as
        ``export_project`` takes them, in the API's shape. Returns the job
        (kind ``mix``, its ``resource_id`` the mix)."""
        body = mix_body(
            groups, name=name, variants=variants, combinations=combinations, settings=settings, metadata=metadata
        )
        return await self._send(endpoints.create_mix(body, idempotency_key))

    async def get_mix(self, mix_id: str) -> Mix:
        return await self._send(endpoints.get_mix(mix_id))

    # AI generations, characters, spend

    async def create_generation(
        self,
        prompt: str = "",
        *,
        provider: str = "local",
        model: str | None = None,
        image_asset_id: str | None = None,
        character_id: str | None = None,
        duration: float | None = None,
        resolution: str | None = None,
        aspect: str | None = None,
        seed: int | None = None,
        cache: bool = True,
        idempotency_key: str | None = None,
    ) -> Job:
        """Queue a generation; returns the job (kind ``generation``, its
        ``resource_id`` the generation). Left out: the model's defaults."""
        body = generation_body(
            prompt, provider=provider, model=model, image_asset_id=image_asset_id, character_id=character_id,
            duration=duration, resolution=resolution, aspect=aspect, seed=seed, cache=cache,
        )  # fmt: skip
        return await self._send(endpoints.create_generation(body, idempotency_key))

    async def estimate_generation(self, prompt: str = "", *, provider: str = "local", **options: Any) -> Estimate:
        """What ``create_generation`` with the same arguments would cost, and whether the budget allows it."""
        return await self._send(endpoints.estimate_generation({"provider": provider, "prompt": prompt, **options}))

    async def get_generation(self, generation_id: str) -> Generation:
        return await self._send(endpoints.get_generation(generation_id))

    async def list_generations(
        self,
        *,
        status: str | None = None,
        provider: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Generation]:
        return await self._send(endpoints.list_generations(status, provider, limit, cursor))

    async def cancel_generation(self, generation_id: str, *, idempotency_key: str | None = None) -> Generation:
        return await self._send(endpoints.cancel_generation(generation_id, idempotency_key))

    async def list_providers(self) -> list[JSON]:
        return await self._send(endpoints.list_providers())

    async def create_character(
        self, name: str, image_asset_id: str, *, project: str = "", idempotency_key: str | None = None
    ) -> Character:
        return await self._send(endpoints.create_character(name, image_asset_id, project, idempotency_key))

    async def list_characters(
        self,
        *,
        project: str | None = None,
        active_only: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Character]:
        return await self._send(endpoints.list_characters(project, active_only, limit, cursor))

    async def get_character(self, character_id: str) -> Character:
        return await self._send(endpoints.get_character(character_id))

    async def update_character(self, character_id: str, **changes: Any) -> Character:
        """Change ``name``, ``active`` or ``image_asset_id``."""
        return await self._send(endpoints.update_character(character_id, changes))

    async def delete_character(self, character_id: str) -> None:
        await self._send(endpoints.delete_character(character_id))

    async def get_spend(self) -> Spend:
        return await self._send(endpoints.get_spend())

    async def set_tenant_budget(self, tenant_id: str, monthly_usd: float | None, *, operator_token: str) -> Spend:
        """The operator sets a tenant's monthly AI budget (0: unlimited; None: the default)."""
        return await self._send(endpoints.set_tenant_budget(tenant_id, operator_token, monthly_usd))

    async def list_comparisons(
        self, *, asset_id: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[Comparison]:
        return await self._send(endpoints.list_comparisons(asset_id, limit, cursor))

    # Webhooks and email notifications

    async def create_webhook(
        self,
        url: str,
        *,
        event_types: Sequence[str] = (),
        job_kinds: Sequence[str] = (),
        description: str = "",
        idempotency_key: str | None = None,
    ) -> Webhook:
        """Register an endpoint (empty filters: every event type, every job kind);
        the answer's ``secret`` is shown this once."""
        return await self._send(endpoints.create_webhook(url, event_types, job_kinds, description, idempotency_key))

    async def list_webhooks(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Webhook]:
        return await self._send(endpoints.list_webhooks(limit, cursor))

    async def get_webhook(self, webhook_id: str) -> Webhook:
        return await self._send(endpoints.get_webhook(webhook_id))

    async def update_webhook(self, webhook_id: str, **changes: Any) -> Webhook:
        """Change ``url``, ``description``, ``event_types``, ``job_kinds`` or ``enabled``."""
        return await self._send(endpoints.update_webhook(webhook_id, changes))

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._send(endpoints.delete_webhook(webhook_id))

    async def rotate_webhook_secret(self, webhook_id: str, *, idempotency_key: str | None = None) -> Webhook:
        """A new secret (in the answer); the old one keeps signing for 24 hours."""
        return await self._send(endpoints.rotate_webhook_secret(webhook_id, idempotency_key))

    async def test_webhook(self, webhook_id: str, *, idempotency_key: str | None = None) -> Delivery:
        return await self._send(endpoints.test_webhook(webhook_id, idempotency_key))

    async def list_deliveries(
        self, webhook_id: str, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[Delivery]:
        return await self._send(endpoints.list_deliveries(webhook_id, status, limit, cursor))

    async def get_delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        return await self._send(endpoints.get_delivery(webhook_id, delivery_id))

    async def replay_delivery(
        self, webhook_id: str, delivery_id: str, *, idempotency_key: str | None = None
    ) -> Delivery:
        return await self._send(endpoints.replay_delivery(webhook_id, delivery_id, idempotency_key))

    async def replay_failed(self, webhook_id: str, since: datetime, *, idempotency_key: str | None = None) -> int:
        """Deliver again every failed message since ``since``; returns how many."""
        return await self._send(endpoints.replay_failed(webhook_id, since, idempotency_key))

    async def get_email_settings(self) -> EmailSettings:
        return await self._send(endpoints.get_email_settings())

    async def set_email_settings(
        self, address: str, *, enabled: bool = True, event_types: Sequence[str] = (), job_kinds: Sequence[str] = ()
    ) -> EmailSettings:
        return await self._send(endpoints.put_email_settings(address, enabled, event_types, job_kinds))

    # Transport

    async def _send(self, call: Call[T], on_progress: ProgressCallback | None = None) -> T:
        args = request_args(call, self._config)
        attempts = Attempts(self._config.retry)
        while True:
            content = call.upload.achunks(on_progress) if call.upload is not None else None
            request = self._http.build_request(**args, content=content)
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                delay = attempts.after_error(exc, request.url)
            else:
                retry_in = attempts.after_response(response)
                if retry_in is None:
                    return read_result(call, response)
                delay = retry_in
            await self._sleep(delay)

    async def _upload_parts(
        self, upload: Upload, path: Path, size: int, on_progress: ProgressCallback | None, concurrency: int
    ) -> Asset:
        spans = missing_parts(upload, size)
        tracker = PartTracker(upload, size, on_progress)
        slots = asyncio.Semaphore(max(1, concurrency))

        async def send(span: PartSpan) -> tuple[PartSpan, ReelforgeError | None]:
            async with slots:
                return span, await self._put_part(path, span)

        tasks = [asyncio.ensure_future(send(span)) for span in spans]
        try:
            for next_done in asyncio.as_completed(tasks):
                tracker.finished(*await next_done)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        tracker.raise_if_failed()
        return await self._send(endpoints.complete_upload(upload.asset_id, None))

    async def _put_part(self, path: Path, span: PartSpan) -> ReelforgeError | None:
        """PUT one part to its presigned URL (no Authorization), retrying; the error if it failed."""
        try:
            data = await asyncio.to_thread(read_part, path, span)
            attempts = Attempts(self._config.retry, statuses=PART_RETRYABLE_STATUSES)
            while True:
                try:
                    response = await self._http.put(span.url, content=data)
                except httpx.TransportError as exc:
                    delay = attempts.after_error(exc, span.url)
                else:
                    retry_in = attempts.after_response(response)
                    if retry_in is None:
                        return None if response.is_success else ReelforgeError.from_response(response)
                    delay = retry_in
                await self._sleep(delay)
        except ReelforgeError as exc:
            return exc

    async def _watch(self, call: Call[Any], *, until_terminal: bool) -> AsyncIterator[Job]:
        args = request_args(call, self._config)
        watch = JobWatch(until_terminal=until_terminal, retry=self._config.retry)
        while True:
            if watch.last_event_id:
                args["headers"]["Last-Event-ID"] = watch.last_event_id
            try:
                async with self._http.stream(**args) as response:
                    if response.is_error:
                        await response.aread()
                        delay = watch.reconnect_delay(response=response)
                    else:
                        async for line in response.aiter_lines():
                            job = watch.feed(line)
                            if job is not None:
                                yield job
                            if watch.finished:
                                return
                        delay = watch.reconnect_delay()
            except httpx.TransportError as exc:
                delay = watch.reconnect_delay(error=exc)
            await self._sleep(delay)
