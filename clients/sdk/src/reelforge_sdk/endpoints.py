"""Every endpoint of the public API as a :class:`~reelforge_sdk.calls.Call`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reelforge_sdk.calls import STREAM_TIMEOUT, UPLOAD_TIMEOUT, Call, post
from reelforge_sdk.clips import ClipJob
from reelforge_sdk.generations import Character, Estimate, Generation, Spend
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
from reelforge_sdk.multipart import MultipartFile, guess_content_type
from reelforge_sdk.pose import Comparison, ComparisonVideo, PoseAnalysis, PoseSignals, PracticeSession, SessionExport
from reelforge_sdk.projects import Export, Mix, Project
from reelforge_sdk.transcripts import TRANSCRIPT_MEDIA_TYPES, Transcript
from reelforge_sdk.webhooks import Delivery, EmailSettings, Webhook

EVENT_STREAM = "text/event-stream"


def _id(value: str) -> str:
    return quote(value, safe="")


def _nothing(_: Any) -> None:
    return None


# Tenants (operator token)


def create_tenant(name: str, operator_token: str, idempotency_key: str | None) -> Call[TenantWithKey]:
    return post(
        "/v1/admin/tenants",
        TenantWithKey.from_json,
        json={"name": name},
        token=operator_token,
        idempotency_key=idempotency_key,
    )


def list_tenants(operator_token: str) -> Call[list[Tenant]]:
    return Call("GET", "/v1/admin/tenants", lambda data: [Tenant.from_json(t) for t in data], token=operator_token)


# Quotas


def get_quotas() -> Call[QuotaReport]:
    return Call("GET", "/v1/quotas", QuotaReport.from_json)


def tenant_quotas(tenant_id: str, operator_token: str) -> Call[QuotaReport]:
    return Call("GET", f"/v1/admin/tenants/{_id(tenant_id)}/quotas", QuotaReport.from_json, token=operator_token)


def set_tenant_quotas(tenant_id: str, operator_token: str, changes: Mapping[str, float | None]) -> Call[QuotaReport]:
    """A JSON merge patch: ``None`` is sent as ``null`` (back to the default); names left out stay."""
    return Call(
        "PATCH",
        f"/v1/admin/tenants/{_id(tenant_id)}/quotas",
        QuotaReport.from_json,
        json=dict(changes),
        token=operator_token,
    )


# API keys (admin scope)


def create_api_key(name: str, scopes: Sequence[str] | None, idempotency_key: str | None) -> Call[ApiKey]:
    body: JSON = {"name": name}
    if scopes is not None:
        body["scopes"] = list(scopes)
    return post("/v1/api-keys", ApiKey.from_json, json=body, idempotency_key=idempotency_key)


def list_api_keys() -> Call[list[ApiKey]]:
    return Call("GET", "/v1/api-keys", lambda data: [ApiKey.from_json(k) for k in data])


def revoke_api_key(key_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/api-keys/{_id(key_id)}", _nothing)


def rotate_api_key(key_id: str, idempotency_key: str | None) -> Call[ApiKey]:
    return post(f"/v1/api-keys/{_id(key_id)}/rotate", ApiKey.from_json, idempotency_key=idempotency_key)


# Assets


def upload_asset(body: MultipartFile, idempotency_key: str | None) -> Call[Asset]:
    return post("/v1/assets", Asset.from_json, upload=body, timeout=UPLOAD_TIMEOUT, idempotency_key=idempotency_key)


def import_url(url: str, filename: str | None, idempotency_key: str | None) -> Call[Asset]:
    body: JSON = {"url": url}
    if filename:
        body["filename"] = filename
    return post("/v1/imports", Asset.from_json, json=body, idempotency_key=idempotency_key)


def list_assets(status: str | None, limit: int | None, cursor: str | None) -> Call[Page[Asset]]:
    params = {"status": status, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/assets", Page.parser(Asset.from_json), params=params)


def get_asset(asset_id: str) -> Call[Asset]:
    return Call("GET", f"/v1/assets/{_id(asset_id)}", Asset.from_json)


def delete_asset(asset_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/assets/{_id(asset_id)}", _nothing)


def download_url(asset_id: str) -> Call[DownloadLink]:
    return Call("GET", f"/v1/assets/{_id(asset_id)}/download", DownloadLink.from_json)


def extract_frames(
    asset_id: str,
    timestamps: Sequence[float] | None,
    position: str | None,
    format: str,
    quality: int,
    idempotency_key: str | None,
) -> Call[list[Frame]]:
    body: JSON = {"format": format, "quality": quality}
    if timestamps is not None:
        body["timestamps"] = list(timestamps)
    if position is not None:
        body["position"] = position
    return post(f"/v1/assets/{_id(asset_id)}/frames", Frame.list_from_json, json=body, idempotency_key=idempotency_key)


# Presigned multipart uploads


def create_upload(
    path: Path, size: int, content_type: str | None, part_size: int | None, idempotency_key: str | None
) -> Call[Upload]:
    body: JSON = {
        "filename": path.name,
        "size_bytes": size,
        "content_type": content_type or guess_content_type(path.name),
    }
    if part_size:
        body["part_size"] = part_size
    return post("/v1/uploads", Upload.from_json, json=body, idempotency_key=idempotency_key)


def get_upload(asset_id: str) -> Call[Upload]:
    return Call("GET", f"/v1/uploads/{_id(asset_id)}", Upload.from_json)


def complete_upload(asset_id: str, idempotency_key: str | None) -> Call[Asset]:
    return post(
        f"/v1/uploads/{_id(asset_id)}/complete",
        Asset.from_json,
        timeout=UPLOAD_TIMEOUT,
        idempotency_key=idempotency_key,
    )


def abort_upload(asset_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/uploads/{_id(asset_id)}", _nothing)


# Jobs


def list_jobs(status: str | None, kind: str | None, limit: int | None, cursor: str | None) -> Call[Page[Job]]:
    params = {"status": status, "kind": kind, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/jobs", Page.parser(Job.from_json), params=params)


def get_job(job_id: str) -> Call[Job]:
    return Call("GET", f"/v1/jobs/{_id(job_id)}", Job.from_json)


def job_events(job_id: str) -> Call[None]:
    return Call("GET", f"/v1/jobs/{_id(job_id)}/events", _nothing, timeout=STREAM_TIMEOUT, accept=EVENT_STREAM)


def tenant_events() -> Call[None]:
    return Call("GET", "/v1/events", _nothing, timeout=STREAM_TIMEOUT, accept=EVENT_STREAM)


# Transcriptions


def create_transcription(
    asset_id: str,
    language: str | None,
    model: str | None,
    word_timestamps: bool,
    prompt: str | None,
    idempotency_key: str | None,
    hotwords: str | None = None,
) -> Call[Job]:
    body: JSON = {"asset_id": asset_id, "word_timestamps": word_timestamps}
    if language is not None:
        body["language"] = language
    if model is not None:
        body["model"] = model
    if prompt is not None:
        body["prompt"] = prompt
    if hotwords is not None:
        body["hotwords"] = hotwords
    return post("/v1/transcriptions", Job.from_json, json=body, idempotency_key=idempotency_key)


def get_transcript(asset_id: str, format: str) -> Call[str]:
    """The transcript's body as text; a format the API does not know is its ``validation_failed``."""
    return Call(
        "GET",
        f"/v1/transcripts/{_id(asset_id)}",
        str,
        params={"format": format},
        accept=TRANSCRIPT_MEDIA_TYPES.get(format, "*/*"),
        as_text=True,
    )


def get_transcript_json(asset_id: str) -> Call[Transcript]:
    return Call("GET", f"/v1/transcripts/{_id(asset_id)}", Transcript.from_json, params={"format": "json"})


# Pose analyses and comparisons

Span = tuple[float, float | None]


def create_pose_analysis(
    asset_id: str, sample_fps: float | None, max_people: int | None, idempotency_key: str | None
) -> Call[Job]:
    body: JSON = {"asset_id": asset_id}
    if sample_fps is not None:
        body["sample_fps"] = sample_fps
    if max_people is not None:
        body["max_people"] = max_people
    return post("/v1/pose-analyses", Job.from_json, json=body, idempotency_key=idempotency_key)


def get_pose_analysis(asset_id: str) -> Call[PoseAnalysis]:
    return Call("GET", f"/v1/pose-analyses/{_id(asset_id)}", PoseAnalysis.from_json)


def get_pose_signals(asset_id: str) -> Call[PoseSignals]:
    return Call("GET", f"/v1/pose-analyses/{_id(asset_id)}/signals", PoseSignals.from_json)


def _span(span: Span) -> JSON:
    start, end = span
    return {"start_s": start} if end is None else {"start_s": start, "end_s": end}


def create_comparison(
    reference_asset_id: str,
    attempt_asset_id: str,
    reference_span: Span | None,
    attempt_span: Span | None,
    idempotency_key: str | None,
) -> Call[Job]:
    body: JSON = {"reference_asset_id": reference_asset_id, "attempt_asset_id": attempt_asset_id}
    if reference_span is not None:
        body["reference_span"] = _span(reference_span)
    if attempt_span is not None:
        body["attempt_span"] = _span(attempt_span)
    return post("/v1/comparisons", Job.from_json, json=body, idempotency_key=idempotency_key)


def get_comparison(comparison_id: str, alignment: bool) -> Call[Comparison]:
    params = {"alignment": "true"} if alignment else {}
    return Call("GET", f"/v1/comparisons/{_id(comparison_id)}", Comparison.from_json, params=params)


def create_comparison_video(
    comparison_id: str, resolution: str, format: str, layout: str, idempotency_key: str | None
) -> Call[Job]:
    body = {"resolution": resolution, "format": format, "layout": layout}
    path = f"/v1/comparisons/{_id(comparison_id)}/video"
    return post(path, Job.from_json, json=body, idempotency_key=idempotency_key)


def get_comparison_video(video_id: str) -> Call[ComparisonVideo]:
    return Call("GET", f"/v1/comparison-videos/{_id(video_id)}", ComparisonVideo.from_json)


def list_comparisons(asset_id: str | None, limit: int | None, cursor: str | None) -> Call[Page[Comparison]]:
    params = {name: value for name, value in (("asset_id", asset_id), ("limit", limit), ("cursor", cursor)) if value}
    return Call("GET", "/v1/comparisons", Page.parser(Comparison.from_json), params=params)


# Practice sessions


def create_session(reference_asset_id: str, name: str, idempotency_key: str | None) -> Call[PracticeSession]:
    body = {"reference_asset_id": reference_asset_id, "name": name}
    return post("/v1/sessions", PracticeSession.from_json, json=body, idempotency_key=idempotency_key)


def list_sessions(limit: int | None, cursor: str | None) -> Call[Page[PracticeSession]]:
    params = {name: value for name, value in (("limit", limit), ("cursor", cursor)) if value is not None}
    return Call("GET", "/v1/sessions", Page.parser(PracticeSession.from_json), params=params)


def get_session(session_id: str) -> Call[PracticeSession]:
    return Call("GET", f"/v1/sessions/{_id(session_id)}", PracticeSession.from_json)


def add_recording(session_id: str, body: JSON, idempotency_key: str | None) -> Call[PracticeSession]:
    path = f"/v1/sessions/{_id(session_id)}/recordings"
    return post(path, PracticeSession.from_json, json=body, idempotency_key=idempotency_key)


def export_session(session_id: str, body: JSON, idempotency_key: str | None) -> Call[Job]:
    return post(f"/v1/sessions/{_id(session_id)}/exports", Job.from_json, json=body, idempotency_key=idempotency_key)


def get_session_export(export_id: str) -> Call[SessionExport]:
    return Call("GET", f"/v1/session-exports/{_id(export_id)}", SessionExport.from_json)


# Clip jobs


def create_clip_job(body: JSON, idempotency_key: str | None) -> Call[Job]:
    """``body`` as the API takes it: asset_id or source_url, count, min_duration, max_duration, aspect, captions..."""
    return post("/v1/clip-jobs", Job.from_json, json=body, idempotency_key=idempotency_key)


def get_clip_job(clip_job_id: str) -> Call[ClipJob]:
    return Call("GET", f"/v1/clip-jobs/{_id(clip_job_id)}", ClipJob.from_json)


# Projects and exports


def create_project(name: str, idempotency_key: str | None) -> Call[Project]:
    return post("/v1/projects", Project.from_json, json={"name": name}, idempotency_key=idempotency_key)


def list_projects(limit: int | None, cursor: str | None) -> Call[Page[Project]]:
    params = {name: value for name, value in (("limit", limit), ("cursor", cursor)) if value is not None}
    return Call("GET", "/v1/projects", Page.parser(Project.from_json), params=params)


def get_project(project_id: str) -> Call[Project]:
    return Call("GET", f"/v1/projects/{_id(project_id)}", Project.from_json)


def rename_project(project_id: str, name: str) -> Call[Project]:
    return Call("PATCH", f"/v1/projects/{_id(project_id)}", Project.from_json, json={"name": name})


def delete_project(project_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/projects/{_id(project_id)}", _nothing)


def add_project_item(project_id: str, body: JSON, idempotency_key: str | None) -> Call[Project]:
    """``body``: asset_id, trim_in, trim_out (None: the asset's end), position (None: at the end)."""
    path = f"/v1/projects/{_id(project_id)}/items"
    return post(path, Project.from_json, json=body, idempotency_key=idempotency_key)


def update_project_item(project_id: str, item_id: str, changes: JSON) -> Call[Project]:
    path = f"/v1/projects/{_id(project_id)}/items/{_id(item_id)}"
    return Call("PATCH", path, Project.from_json, json=changes)


def duplicate_project_item(project_id: str, item_id: str, idempotency_key: str | None) -> Call[Project]:
    path = f"/v1/projects/{_id(project_id)}/items/{_id(item_id)}/duplicate"
    return post(path, Project.from_json, idempotency_key=idempotency_key)


def delete_project_item(project_id: str, item_id: str) -> Call[Project]:
    return Call("DELETE", f"/v1/projects/{_id(project_id)}/items/{_id(item_id)}", Project.from_json)


def export_project(project_id: str, body: JSON, idempotency_key: str | None) -> Call[Job]:
    path = f"/v1/projects/{_id(project_id)}/exports"
    return post(path, Job.from_json, json=body, idempotency_key=idempotency_key)


def list_exports(project_id: str, limit: int | None, cursor: str | None) -> Call[Page[Export]]:
    params = {name: value for name, value in (("limit", limit), ("cursor", cursor)) if value is not None}
    path = f"/v1/projects/{_id(project_id)}/exports"
    return Call("GET", path, Page.parser(Export.from_json), params=params)


def get_export(export_id: str) -> Call[Export]:
    return Call("GET", f"/v1/exports/{_id(export_id)}", Export.from_json)


def cancel_export(export_id: str, idempotency_key: str | None) -> Call[Export]:
    return post(f"/v1/exports/{_id(export_id)}/cancel", Export.from_json, idempotency_key=idempotency_key)


def rerun_export(export_id: str, idempotency_key: str | None) -> Call[Job]:
    return post(f"/v1/exports/{_id(export_id)}/rerun", Job.from_json, idempotency_key=idempotency_key)


def create_mix(body: JSON, idempotency_key: str | None) -> Call[Job]:
    return post("/v1/mixes", Job.from_json, json=body, idempotency_key=idempotency_key)


def get_mix(mix_id: str) -> Call[Mix]:
    return Call("GET", f"/v1/mixes/{_id(mix_id)}", Mix.from_json)


# AI generations, characters, spend


def create_generation(body: JSON, idempotency_key: str | None) -> Call[Job]:
    return post("/v1/generations", Job.from_json, json=body, idempotency_key=idempotency_key)


def estimate_generation(body: JSON) -> Call[Estimate]:
    return post("/v1/generations:estimate", Estimate.from_json, json=body, idempotency_key=None)


def get_generation(generation_id: str) -> Call[Generation]:
    return Call("GET", f"/v1/generations/{_id(generation_id)}", Generation.from_json)


def list_generations(
    status: str | None, provider: str | None, limit: int | None, cursor: str | None
) -> Call[Page[Generation]]:
    params = {n: v for n, v in (("status", status), ("provider", provider), ("limit", limit), ("cursor", cursor)) if v}
    return Call("GET", "/v1/generations", Page.parser(Generation.from_json), params=params)


def cancel_generation(generation_id: str, idempotency_key: str | None) -> Call[Generation]:
    path = f"/v1/generations/{_id(generation_id)}/cancel"
    return post(path, Generation.from_json, idempotency_key=idempotency_key)


def list_providers() -> Call[list[JSON]]:
    return Call("GET", "/v1/providers", lambda data: list(data))


def create_character(name: str, image_asset_id: str, project: str, idempotency_key: str | None) -> Call[Character]:
    body = {"name": name, "image_asset_id": image_asset_id, "project": project}
    return post("/v1/characters", Character.from_json, json=body, idempotency_key=idempotency_key)


def list_characters(
    project: str | None, active_only: bool, limit: int | None, cursor: str | None
) -> Call[Page[Character]]:
    params = {
        n: v for n, v in (("project", project), ("active", active_only), ("limit", limit), ("cursor", cursor)) if v
    }
    return Call("GET", "/v1/characters", Page.parser(Character.from_json), params=params)


def get_character(character_id: str) -> Call[Character]:
    return Call("GET", f"/v1/characters/{_id(character_id)}", Character.from_json)


def update_character(character_id: str, changes: Mapping[str, Any]) -> Call[Character]:
    return Call("PATCH", f"/v1/characters/{_id(character_id)}", Character.from_json, json=dict(changes))


def delete_character(character_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/characters/{_id(character_id)}", _nothing)


def get_spend() -> Call[Spend]:
    return Call("GET", "/v1/spend", Spend.from_json)


def set_tenant_budget(tenant_id: str, operator_token: str, monthly_usd: float | None) -> Call[Spend]:
    path = f"/v1/admin/tenants/{_id(tenant_id)}/budget"
    return Call("PUT", path, Spend.from_json, json={"monthly_usd": monthly_usd}, token=operator_token)


# Webhooks and email notifications


def create_webhook(
    url: str, event_types: Sequence[str], job_kinds: Sequence[str], description: str, idempotency_key: str | None
) -> Call[Webhook]:
    body: JSON = {"url": url, "event_types": list(event_types), "job_kinds": list(job_kinds)}
    if description:
        body["description"] = description
    return post("/v1/webhooks", Webhook.from_json, json=body, idempotency_key=idempotency_key)


def list_webhooks(limit: int | None, cursor: str | None) -> Call[Page[Webhook]]:
    params = {name: value for name, value in (("limit", limit), ("cursor", cursor)) if value}
    return Call("GET", "/v1/webhooks", Page.parser(Webhook.from_json), params=params)


def get_webhook(webhook_id: str) -> Call[Webhook]:
    return Call("GET", f"/v1/webhooks/{_id(webhook_id)}", Webhook.from_json)


def update_webhook(webhook_id: str, changes: Mapping[str, Any]) -> Call[Webhook]:
    return Call("PATCH", f"/v1/webhooks/{_id(webhook_id)}", Webhook.from_json, json=dict(changes))


def delete_webhook(webhook_id: str) -> Call[None]:
    return Call("DELETE", f"/v1/webhooks/{_id(webhook_id)}", _nothing)


def rotate_webhook_secret(webhook_id: str, idempotency_key: str | None) -> Call[Webhook]:
    return post(f"/v1/webhooks/{_id(webhook_id)}/rotate-secret", Webhook.from_json, idempotency_key=idempotency_key)


def test_webhook(webhook_id: str, idempotency_key: str | None) -> Call[Delivery]:
    return post(f"/v1/webhooks/{_id(webhook_id)}/test", Delivery.from_json, idempotency_key=idempotency_key)


def list_deliveries(webhook_id: str, status: str | None, limit: int | None, cursor: str | None) -> Call[Page[Delivery]]:
    params = {n: v for n, v in (("status", status), ("limit", limit), ("cursor", cursor)) if v}
    return Call("GET", f"/v1/webhooks/{_id(webhook_id)}/deliveries", Page.parser(Delivery.from_json), params=params)


def get_delivery(webhook_id: str, delivery_id: str) -> Call[Delivery]:
    return Call("GET", f"/v1/webhooks/{_id(webhook_id)}/deliveries/{_id(delivery_id)}", Delivery.from_json)


def replay_delivery(webhook_id: str, delivery_id: str, idempotency_key: str | None) -> Call[Delivery]:
    path = f"/v1/webhooks/{_id(webhook_id)}/deliveries/{_id(delivery_id)}/replay"
    return post(path, Delivery.from_json, idempotency_key=idempotency_key)


def replay_failed(webhook_id: str, since: datetime, idempotency_key: str | None) -> Call[int]:
    return post(
        f"/v1/webhooks/{_id(webhook_id)}/replay",
        lambda data: int(data["replayed"]),
        json={"since": since.isoformat()},
        idempotency_key=idempotency_key,
    )


def get_email_settings() -> Call[EmailSettings]:
    return Call("GET", "/v1/notifications/email", EmailSettings.from_json)


def put_email_settings(
    address: str, enabled: bool, event_types: Sequence[str], job_kinds: Sequence[str]
) -> Call[EmailSettings]:
    body = {"address": address, "enabled": enabled, "event_types": list(event_types), "job_kinds": list(job_kinds)}
    return Call("PUT", "/v1/notifications/email", EmailSettings.from_json, json=body)
