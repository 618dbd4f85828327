"""Rich tables and panels for the API's objects (human output)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from rich.console import Group, RenderableType
from rich.filesize import decimal
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from reelforge_sdk import (
    ApiKey,
    Asset,
    ClipJob,
    Comparison,
    Job,
    JobOutput,
    MediaInfo,
    PoseAnalysis,
    QuotaReport,
    Tenant,
    TenantWithKey,
)
from reelforge_sdk.webhooks import Delivery, EmailSettings, Webhook

STATUS_STYLES = {
    "ready": "green",
    "succeeded": "green",
    "failed": "red",
    "processing": "yellow",
    "running": "yellow",
    "importing": "yellow",
    "uploading": "yellow",
    "queued": "cyan",
    "pending": "yellow",
    "enabled": "green",
    "on": "green",
    "cancelled": "red",
    # Provider circuits, budget checks.
    "closed": "green",
    "half_open": "yellow",
    "open": "red",
    "yes": "green",
    "no": "red",
}


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def field_grid(rows: Iterable[tuple[str, RenderableType | str | None]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in rows:
        if value not in (None, ""):
            grid.add_row(name, value)
    return grid


def new_table(*columns: str) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def media_summary(media: MediaInfo | None) -> str | None:
    if media is None:
        return None
    if media.is_image:
        return f"image {media.width}x{media.height} {media.video_codec or ''}".strip()
    parts = []
    if media.duration_s is not None:
        parts.append(f"{media.duration_s:.1f} s")
    if media.has_video:
        video = f"{media.width}x{media.height}"
        if media.fps:
            video += f" @ {media.fps:g} fps"
        parts.append(f"{video} {media.video_codec or ''}".strip())
    if media.has_audio:
        parts.append(f"audio {media.audio_codec or ''} {media.audio_channels or '?'} ch".replace("  ", " "))
    if media.rotation_deg:
        parts.append(f"rotated {media.rotation_deg} deg")
    return ", ".join(parts)


def asset_panel(asset: Asset) -> Panel:
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("status", status_text(asset.status)),
        ("filename", asset.filename),
        ("size", decimal(asset.size_bytes) if asset.size_bytes is not None else None),
        ("type", asset.content_type),
        ("source", asset.source),
        ("job", asset.job_id),
        ("media", media_summary(asset.media)),
        ("derivatives", ", ".join(sorted(asset.derivatives)) or None),
        ("error", f"{asset.error.code}: {asset.error.message}" if asset.error else None),
        ("created", when(asset.created_at)),
        ("updated", when(asset.updated_at)),
    ]
    return Panel(field_grid(rows), title=f"asset {asset.id}", title_align="left", expand=False)


def assets_table(assets: Sequence[Asset], next_cursor: str | None = None) -> RenderableType:
    table = new_table("id", "status", "filename", "size", "source", "updated")
    for asset in assets:
        size = decimal(asset.size_bytes) if asset.size_bytes is not None else "-"
        table.add_row(asset.id, status_text(asset.status), asset.filename, size, asset.source, when(asset.updated_at))
    return with_cursor(table, len(assets), "asset", next_cursor)


def job_panel(job: Job) -> Panel:
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("kind", job.kind),
        ("status", status_text(job.status)),
        ("stage", job.stage),
        ("progress", f"{job.progress:.0%}"),
        ("resource", job.resource_id),
        ("error", f"{job.error.code}: {job.error.message}" if job.error else None),
        ("created", when(job.created_at)),
        ("updated", when(job.updated_at)),
        ("outputs", job_outputs(job.outputs)),
    ]
    return Panel(field_grid(rows), title=f"job {job.id}", title_align="left", expand=False)


def job_outputs(outputs: Mapping[str, JobOutput]) -> Table | None:
    """Each output's name and presigned URL; None when the job has none (yet)."""
    if not outputs:
        return None
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for name, output in sorted(outputs.items()):
        grid.add_row(name, Text(output.url))
    return grid


def jobs_table(jobs: Sequence[Job], next_cursor: str | None = None) -> RenderableType:
    table = new_table("id", "kind", "status", "stage", "progress", "resource", "updated")
    for job in jobs:
        table.add_row(
            job.id,
            job.kind,
            status_text(job.status),
            job.stage,
            f"{job.progress:.0%}",
            job.resource_id,
            when(job.updated_at),
        )
    return with_cursor(table, len(jobs), "job", next_cursor)


def with_cursor(table: Table, count: int, noun: str, next_cursor: str | None) -> RenderableType:
    footer = f"{count} {noun}{'' if count == 1 else 's'}"
    if next_cursor:
        footer += f"; more with --cursor {next_cursor} (or --all)"
    return Group(table, Text(footer, style="dim"))


def key_panel(key: ApiKey) -> RenderableType:
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("name", key.name or "-"),
        ("scopes", ", ".join(key.scopes)),
        ("created", when(key.created_at)),
        ("revoked", when(key.revoked_at) if key.revoked_at else None),
        ("token", Text(key.token, style="bold yellow") if key.token else None),
    ]
    panel = Panel(field_grid(rows), title=f"api key {key.id}", title_align="left", expand=False)
    if key.token:
        return Group(panel, Text("The token is shown only once: store it now.", style="yellow"))
    return panel


def keys_table(keys: Sequence[ApiKey]) -> Table:
    table = new_table("id", "name", "scopes", "created", "revoked")
    for key in keys:
        table.add_row(key.id, key.name, ", ".join(key.scopes), when(key.created_at), when(key.revoked_at))
    return table


def tenant_created(created: TenantWithKey) -> RenderableType:
    tenant = created.tenant
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("tenant id", tenant.id),
        ("name", tenant.name),
        ("api key id", created.api_key.id),
        ("api key", Text(created.api_key.token or "", style="bold yellow")),
    ]
    return Group(
        Panel(field_grid(rows), title=f"tenant {tenant.name}", title_align="left", expand=False),
        Text("The API key is shown only once: store it now (e.g. reelforge login --api-key ...).", style="yellow"),
    )


def tenants_table(tenants: Sequence[Tenant]) -> Table:
    table = new_table("id", "name", "created")
    for tenant in tenants:
        table.add_row(tenant.id, tenant.name, when(tenant.created_at))
    return table


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def quota_report(report: QuotaReport) -> RenderableType:
    """The tenant's quotas (its own, or the gateway's default) and its usage this month."""
    quotas, usage = report.quotas, report.usage
    table = new_table("quota", "value", "set by")
    for name, value in quotas.limits().items():
        shown = _number(value)
        if name == "max_upload_bytes":
            shown += f" ({decimal(int(value))})"
        source = Text("default", style="dim") if name in quotas.defaults else Text("own", style="bold")
        table.add_row(name, shown, source)
    usage_rows: list[tuple[str, RenderableType | str | None]] = [
        ("month", usage.month.strftime("%Y-%m")),
        ("minutes used", f"{_number(usage.minutes_used)} of {quotas.monthly_minutes}"),
        ("active jobs", f"{usage.active_jobs} of {quotas.max_concurrent_jobs}"),
    ]
    body = Group(table, Text(""), Text("usage", style="bold underline"), field_grid(usage_rows))
    return Panel(body, title=f"quotas of tenant {report.tenant_id}", title_align="left", expand=False)


def pose_panel(analysis: PoseAnalysis) -> Panel:
    people = "nobody found" if analysis.no_person else str(analysis.people_seen)
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("status", status_text(analysis.status)),
        ("frames", f"{analysis.frames_analysed} at {analysis.sample_fps:g} fps"),
        ("with a person", str(analysis.frames_with_person)),
        ("people", people),
        ("visibility", f"{analysis.mean_visibility:.2f}"),
        ("error", f"{analysis.error.code}: {analysis.error.message}" if analysis.error else None),
    ]
    return Panel(field_grid(rows), title=f"pose analysis of asset {analysis.asset_id}", title_align="left")


def comparison_panel(comparison: Comparison) -> RenderableType:
    score = "-" if comparison.score is None else f"{comparison.score:.0f} / 100"
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("status", status_text(comparison.status)),
        ("score", Text(score, style="bold")),
        ("mirrored", "yes" if comparison.mirrored else None),
        ("reference", comparison.reference_asset_id),
        ("attempt", comparison.attempt_asset_id),
    ]
    segments = new_table("reference", "attempt", "score", "feedback")
    for segment in comparison.segments:
        segments.add_row(
            f"{segment.reference_start_s:.1f}-{segment.reference_end_s:.1f} s",
            f"{segment.attempt_start_s:.1f}-{segment.attempt_end_s:.1f} s",
            Text(f"{segment.score:.0f}", style="red" if segment.weak else "green"),
            "\n".join(item.text for item in segment.feedback),
        )
    parts: list[RenderableType] = [field_grid(rows)]
    if comparison.segments:
        parts.append(segments)
    return Panel(Group(*parts), title=f"comparison {comparison.id}", title_align="left")


def clips_table(job: ClipJob, folder: Path) -> RenderableType:
    table = new_table("#", "from", "to", "score", "title", "file")
    for clip in job.clips:
        table.add_row(
            str(clip.index + 1),
            f"{clip.start_s:.1f} s",
            f"{clip.end_s:.1f} s",
            f"{clip.score:.2f}",
            clip.title,
            str(folder / f"clip-{clip.index + 1:02d}.mp4"),
        )
    return Panel(table, title=f"clip job {job.id}", title_align="left")


def _filters(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "all"


def webhook_panel(webhook: Webhook) -> RenderableType:
    state = Text("enabled", style="green") if webhook.enabled else Text(f"disabled ({webhook.disabled_reason})", "red")
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("url", webhook.url),
        ("description", webhook.description),
        ("events", _filters(webhook.event_types)),
        ("job kinds", _filters(webhook.job_kinds)),
        ("state", state),
        ("failing since", when(webhook.failing_since) if webhook.failing_since else None),
        ("created", when(webhook.created_at)),
    ]
    if webhook.secret:
        rows.append(("secret", Text(webhook.secret, style="bold yellow")))
    panel = Panel(field_grid(rows), title=f"webhook {webhook.id}", title_align="left", expand=False)
    if not webhook.secret:
        return panel
    note = "The secret is shown only once: verify each delivery's webhook-signature with it."
    return Group(panel, Text(note, style="yellow"))


def webhooks_table(webhooks: Sequence[Webhook], next_cursor: str | None = None) -> RenderableType:
    table = new_table("id", "url", "events", "state", "created")
    for webhook in webhooks:
        state = status_text("enabled") if webhook.enabled else Text(f"disabled ({webhook.disabled_reason})", "red")
        table.add_row(webhook.id, webhook.url, _filters(webhook.event_types), state, when(webhook.created_at))
    return with_cursor(table, len(webhooks), "webhook", next_cursor)


def deliveries_table(deliveries: Sequence[Delivery], next_cursor: str | None = None) -> RenderableType:
    table = new_table("id", "event", "status", "attempts", "last answer", "next attempt", "created")
    for delivery in deliveries:
        answer = str(delivery.last_status_code or delivery.last_error or "-")
        table.add_row(
            delivery.id,
            delivery.event_type,
            status_text(delivery.status),
            str(delivery.attempts),
            answer,
            when(delivery.next_attempt_at),
            when(delivery.created_at),
        )
    return with_cursor(table, len(deliveries), "delivery", next_cursor)


def delivery_panel(delivery: Delivery) -> RenderableType:
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("webhook-id", delivery.message_id),
        ("event", delivery.event_type),
        ("status", status_text(delivery.status)),
        ("attempts", str(delivery.attempts)),
        ("next attempt", when(delivery.next_attempt_at) if delivery.next_attempt_at else None),
    ]
    panel = Panel(field_grid(rows), title=f"delivery {delivery.id}", title_align="left", expand=False)
    if not delivery.attempt_log:
        return panel
    attempts = new_table("attempt", "at", "status", "latency", "error")
    for attempt in delivery.attempt_log:
        attempts.add_row(
            str(attempt.attempt),
            when(attempt.started_at),
            str(attempt.status_code or "-"),
            f"{attempt.latency_ms:.0f} ms",
            attempt.error or "",
        )
    return Group(panel, attempts)


def email_settings(settings: EmailSettings) -> RenderableType:
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("job emails", status_text("on") if settings.enabled else Text("off", style="dim")),
        ("address", settings.address or "-"),
        ("events", _filters(settings.event_types)),
        ("job kinds", _filters(settings.job_kinds)),
    ]
    return Panel(field_grid(rows), title="email notifications", title_align="left", expand=False)
