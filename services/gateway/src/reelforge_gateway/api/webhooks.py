"""Webhook endpoints and their delivery log; email notification settings.

Deliveries are signed per Standard Webhooks (`webhook-id`,
`webhook-timestamp`, `webhook-signature`); see the README for how a receiver
verifies them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from reelforge_gateway.api.deps import Admin, Notify, Reader, Writer
from reelforge_gateway.api.links import follow
from reelforge_gateway.api.webhook_schemas import (
    Delivery,
    DeliveryDetail,
    DeliveryPage,
    EmailSettings,
    EmailSettingsUpdate,
    Replay,
    Replayed,
    Webhook,
    WebhookCreate,
    WebhookPage,
    WebhookUpdate,
    WebhookWithSecret,
)
from reelforge_gateway.operations import webhooks as operations
from reelforge_gateway.problems import documented

router = APIRouter(tags=["webhooks"], responses=documented("unauthenticated", "forbidden", "unavailable"))
_URL_REFUSALS = ("validation_failed", "url_forbidden", "url_unresolvable")
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")]


@router.post(
    "/v1/webhooks",
    status_code=status.HTTP_201_CREATED,
    responses={
        **documented(*_URL_REFUSALS),
        **follow(201, "/v1/webhooks/{webhook_id}", "webhook_id", "get", "patch", "delete"),
    },
)
async def create_webhook(body: WebhookCreate, caller: Admin, notify: Notify) -> WebhookWithSecret:
    """Register an endpoint for the tenant's job events. The URL must be http(s)
    and resolve only to public addresses. The answer holds the signing secret,
    shown this once."""
    return await operations.create_webhook(notify, tenant_id=caller.tenant_id, body=body)


@router.get("/v1/webhooks", responses=documented("validation_failed"))
async def list_webhooks(caller: Reader, notify: Notify, limit: Limit = 20, cursor: Cursor = None) -> WebhookPage:
    """The tenant's endpoints, newest first."""
    return await operations.list_webhooks(notify, tenant_id=caller.tenant_id, limit=limit, cursor=cursor)


@router.get("/v1/webhooks/{webhook_id}", responses=documented("not_found"))
async def get_webhook(webhook_id: str, caller: Reader, notify: Notify) -> Webhook:
    return await operations.get_webhook(notify, tenant_id=caller.tenant_id, webhook_id=webhook_id)


@router.patch("/v1/webhooks/{webhook_id}", responses=documented("not_found", *_URL_REFUSALS))
async def update_webhook(webhook_id: str, body: WebhookUpdate, caller: Admin, notify: Notify) -> Webhook:
    """Change the fields given. `enabled: true` re-enables an endpoint that was
    disabled (after 410 Gone or days of failures); then replay what failed meanwhile."""
    return await operations.update_webhook(notify, tenant_id=caller.tenant_id, webhook_id=webhook_id, body=body)


@router.delete("/v1/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found"))
async def delete_webhook(webhook_id: str, caller: Admin, notify: Notify) -> None:
    """Delete the endpoint and its delivery log."""
    await operations.delete_webhook(notify, tenant_id=caller.tenant_id, webhook_id=webhook_id)


@router.post(
    "/v1/webhooks/{webhook_id}/rotate-secret", status_code=status.HTTP_201_CREATED, responses=documented("not_found")
)
async def rotate_secret(webhook_id: str, caller: Admin, notify: Notify) -> WebhookWithSecret:
    """A new signing secret. For 24 hours deliveries carry a signature by the
    old secret too, so the receiver can switch without missing a message."""
    return await operations.rotate_secret(notify, tenant_id=caller.tenant_id, webhook_id=webhook_id)


@router.post("/v1/webhooks/{webhook_id}/test", status_code=status.HTTP_202_ACCEPTED, responses=documented("not_found"))
async def send_test(webhook_id: str, caller: Writer, notify: Notify) -> Delivery:
    """Queue a `webhook.test` message to the endpoint; follow it in its deliveries."""
    return await operations.send_test(notify, tenant_id=caller.tenant_id, webhook_id=webhook_id)


@router.get("/v1/webhooks/{webhook_id}/deliveries", responses=documented("not_found", "validation_failed"))
async def list_deliveries(
    webhook_id: str,
    caller: Reader,
    notify: Notify,
    delivery_status: Annotated[
        Literal["pending", "succeeded", "failed"] | None, Query(alias="status", description="Only this status")
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> DeliveryPage:
    """The endpoint's deliveries, newest first: status, attempts, last answer."""
    return await operations.list_deliveries(
        notify, tenant_id=caller.tenant_id, webhook_id=webhook_id, status=delivery_status, limit=limit, cursor=cursor
    )


@router.get("/v1/webhooks/{webhook_id}/deliveries/{delivery_id}", responses=documented("not_found"))
async def get_delivery(webhook_id: str, delivery_id: str, caller: Reader, notify: Notify) -> DeliveryDetail:
    """One delivery with the body sent and every attempt (status code, latency, error)."""
    return await operations.get_delivery(
        notify, tenant_id=caller.tenant_id, webhook_id=webhook_id, delivery_id=delivery_id
    )


@router.post(
    "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented("not_found"),
)
async def replay_delivery(webhook_id: str, delivery_id: str, caller: Writer, notify: Notify) -> DeliveryDetail:
    """Deliver the message again now, with the same `webhook-id` and a fresh retry schedule."""
    return await operations.replay_delivery(
        notify, tenant_id=caller.tenant_id, webhook_id=webhook_id, delivery_id=delivery_id
    )


@router.post(
    "/v1/webhooks/{webhook_id}/replay", status_code=status.HTTP_202_ACCEPTED, responses=documented("not_found")
)
async def replay_failed(webhook_id: str, body: Replay, caller: Writer, notify: Notify) -> Replayed:
    """Deliver again every failed message of the endpoint created since `since`."""
    count = await operations.replay_failed(notify, tenant_id=caller.tenant_id, webhook_id=webhook_id, since=body.since)
    return Replayed(replayed=count)


@router.get("/v1/notifications/email", tags=["notifications"])
async def get_email_settings(caller: Reader, notify: Notify) -> EmailSettings:
    """The tenant's job email settings (off until turned on)."""
    return await operations.get_email_settings(notify, tenant_id=caller.tenant_id)


@router.put(
    "/v1/notifications/email",
    tags=["notifications"],
    responses=documented("validation_failed", "email_not_configured"),
)
async def put_email_settings(body: EmailSettingsUpdate, caller: Admin, notify: Notify) -> EmailSettings:
    """Turn job emails on or off: an email to `address` when a job succeeds or
    fails (filtered by `event_types` and `job_kinds`). The address also hears
    when a webhook endpoint is disabled."""
    return await operations.put_email_settings(notify, tenant_id=caller.tenant_id, body=body)
