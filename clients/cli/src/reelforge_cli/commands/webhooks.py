"""``reelforge webhooks``: endpoints that receive the tenant's job events, signed
(Standard Webhooks), and their delivery log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer

from reelforge_cli import render
from reelforge_cli.output import JsonFlag, session

app = typer.Typer(
    help="Register webhook endpoints for job events, see their deliveries, replay failures.", no_args_is_help=True
)

WebhookId = Annotated[str, typer.Argument(help="The endpoint's id (ep_...).", show_default=False)]
DeliveryId = Annotated[str, typer.Argument(help="The delivery's id (dlv_...).", show_default=False)]


class EventType(StrEnum):
    queued = "job.queued"
    progress = "job.progress"
    succeeded = "job.succeeded"
    failed = "job.failed"
    test = "webhook.test"


class DeliveryStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


Events = Annotated[
    list[EventType] | None, typer.Option("--event", help="An event type to deliver; repeat for several (default: all).")
]
Kinds = Annotated[
    list[str] | None,
    typer.Option("--kind", help="Only jobs of this kind (clipjob, transcription, pose, ingest...); repeatable."),
]


@app.command("create")
def create_webhook(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="http(s) URL that receives the POSTs.", show_default=False)],
    event: Events = None,
    kind: Kinds = None,
    description: Annotated[str, typer.Option(help="A note to recognise the endpoint by.")] = "",
    json_output: JsonFlag = False,
) -> None:
    """Register an endpoint; its signing secret is printed once."""
    with session(ctx, json_output) as s:
        webhook = s.client.create_webhook(
            url, event_types=[str(e) for e in event or ()], job_kinds=kind or (), description=description
        )
        s.out.result(webhook.raw, lambda: render.webhook_panel(webhook))


@app.command("list")
def list_webhooks(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(min=1, max=100, help="Page size (server default 20).")] = None,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page's next_cursor.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """The tenant's endpoints, newest first."""
    with session(ctx, json_output) as s:
        page = s.client.list_webhooks(limit=limit, cursor=cursor)
        s.out.result(page.raw, lambda: render.webhooks_table(page.items, page.next_cursor))


@app.command("get")
def get_webhook(ctx: typer.Context, webhook_id: WebhookId, json_output: JsonFlag = False) -> None:
    """One endpoint: URL, filters, whether it is enabled (and if not, why)."""
    with session(ctx, json_output) as s:
        webhook = s.client.get_webhook(webhook_id)
        s.out.result(webhook.raw, lambda: render.webhook_panel(webhook))


@app.command("update")
def update_webhook(
    ctx: typer.Context,
    webhook_id: WebhookId,
    url: Annotated[str | None, typer.Option(help="A new URL.")] = None,
    event: Events = None,
    kind: Kinds = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Turn deliveries on (clearing a failure state) or off.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Change an endpoint; options left out stay as they are."""
    changes: dict[str, object] = {}
    if url is not None:
        changes["url"] = url
    if event is not None:
        changes["event_types"] = [str(e) for e in event]
    if kind is not None:
        changes["job_kinds"] = kind
    if description is not None:
        changes["description"] = description
    if enable is not None:
        changes["enabled"] = enable
    with session(ctx, json_output) as s:
        webhook = s.client.update_webhook(webhook_id, **changes)
        s.out.result(webhook.raw, lambda: render.webhook_panel(webhook))


@app.command("delete")
def delete_webhook(ctx: typer.Context, webhook_id: WebhookId, json_output: JsonFlag = False) -> None:
    """Delete an endpoint and its delivery log."""
    with session(ctx, json_output) as s:
        s.client.delete_webhook(webhook_id)
        s.out.result({"id": webhook_id, "deleted": True}, lambda: f"deleted webhook endpoint {webhook_id}")


@app.command("rotate-secret")
def rotate_secret(ctx: typer.Context, webhook_id: WebhookId, json_output: JsonFlag = False) -> None:
    """A new signing secret, printed once; the old one keeps signing for 24 hours."""
    with session(ctx, json_output) as s:
        webhook = s.client.rotate_webhook_secret(webhook_id)
        s.out.result(webhook.raw, lambda: render.webhook_panel(webhook))


@app.command("test")
def send_test(ctx: typer.Context, webhook_id: WebhookId, json_output: JsonFlag = False) -> None:
    """Send a webhook.test message to the endpoint."""
    with session(ctx, json_output) as s:
        delivery = s.client.test_webhook(webhook_id)
        s.out.result(delivery.raw, lambda: render.delivery_panel(delivery))


@app.command("deliveries")
def list_deliveries(
    ctx: typer.Context,
    webhook_id: WebhookId,
    status: Annotated[DeliveryStatus | None, typer.Option(help="Only deliveries with this status.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, max=100, help="Page size (server default 20).")] = None,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page's next_cursor.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """The endpoint's deliveries, newest first."""
    with session(ctx, json_output) as s:
        page = s.client.list_deliveries(webhook_id, status=str(status) if status else None, limit=limit, cursor=cursor)
        s.out.result(page.raw, lambda: render.deliveries_table(page.items, page.next_cursor))


@app.command("delivery")
def get_delivery(
    ctx: typer.Context, webhook_id: WebhookId, delivery_id: DeliveryId, json_output: JsonFlag = False
) -> None:
    """One delivery with every attempt: status code, latency, error."""
    with session(ctx, json_output) as s:
        delivery = s.client.get_delivery(webhook_id, delivery_id)
        s.out.result(delivery.raw, lambda: render.delivery_panel(delivery))


@app.command("replay")
def replay(
    ctx: typer.Context,
    webhook_id: WebhookId,
    delivery_id: Annotated[str | None, typer.Argument(help="One delivery to send again.", show_default=False)] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Instead: every failed delivery created since this time (ISO 8601).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Deliver again: one delivery, or every failed one since a time."""
    if (delivery_id is None) == (since is None):
        raise typer.BadParameter("give a delivery id or --since, not both")
    with session(ctx, json_output) as s:
        if delivery_id is not None:
            delivery = s.client.replay_delivery(webhook_id, delivery_id)
            s.out.result(delivery.raw, lambda: render.delivery_panel(delivery))
        else:
            assert since is not None
            count = s.client.replay_failed(webhook_id, since)
            s.out.result({"replayed": count}, lambda: f"queued {count} failed deliveries again")
