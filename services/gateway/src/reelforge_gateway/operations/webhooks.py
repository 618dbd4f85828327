"""Webhook endpoints, their deliveries, and email settings: kept by the notify service."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from reelforge.notify.v1 import notify_pb2
from reelforge_common.proto_time import datetime_of, timestamp
from reelforge_gateway.api.webhook_schemas import (
    Attempt,
    Delivery,
    DeliveryDetail,
    DeliveryPage,
    EmailSettings,
    EmailSettingsUpdate,
    Webhook,
    WebhookCreate,
    WebhookPage,
    WebhookUpdate,
    WebhookWithSecret,
)
from reelforge_gateway.internal import NotifyClient


def _required_at(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def webhook_view(endpoint: notify_pb2.Endpoint) -> Webhook:
    return Webhook(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        job_kinds=list(endpoint.job_kinds),
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason or None,
        failing_since=datetime_of(endpoint.failing_since),
        created_at=_required_at(endpoint.created_at),
        updated_at=_required_at(endpoint.updated_at),
    )


def _with_secret(answer: notify_pb2.EndpointWithSecret) -> WebhookWithSecret:
    return WebhookWithSecret(**webhook_view(answer.endpoint).model_dump(), secret=answer.secret)


def delivery_view(delivery: notify_pb2.Delivery) -> Delivery:
    return Delivery(
        id=delivery.id,
        webhook_id=delivery.endpoint_id,
        message_id=delivery.message_id,
        event_type=delivery.event_type,
        status=delivery.status,  # type: ignore[arg-type]  # one of the three, by the notify contract
        attempts=delivery.attempts,
        next_attempt_at=datetime_of(delivery.next_attempt_at),
        last_status_code=delivery.last_status_code or None,
        last_error=delivery.last_error or None,
        created_at=_required_at(delivery.created_at),
        updated_at=_required_at(delivery.updated_at),
    )


def delivery_detail(delivery: notify_pb2.Delivery) -> DeliveryDetail:
    log = [
        Attempt(
            attempt=a.attempt,
            started_at=_required_at(a.started_at),
            status_code=a.status_code or None,
            latency_ms=a.latency_ms,
            error=a.error or None,
            response_excerpt=a.response_excerpt,
        )
        for a in delivery.attempt_log
    ]
    return DeliveryDetail(**delivery_view(delivery).model_dump(), payload=delivery.payload, attempt_log=log)


async def create_webhook(notify: NotifyClient, *, tenant_id: str, body: WebhookCreate) -> WebhookWithSecret:
    request = notify_pb2.CreateEndpointRequest(
        tenant_id=tenant_id,
        url=str(body.url),
        description=body.description,
        event_types=body.event_types,
        job_kinds=body.job_kinds,
        disabled=not body.enabled,
    )
    return _with_secret(await notify.calling(lambda: notify.stub.CreateEndpoint(request, timeout=notify.timeout_s)))


async def list_webhooks(notify: NotifyClient, *, tenant_id: str, limit: int, cursor: str | None) -> WebhookPage:
    request = notify_pb2.ListEndpointsRequest(tenant_id=tenant_id, page_size=limit, cursor=cursor or "")
    page = await notify.calling(lambda: notify.stub.ListEndpoints(request, timeout=notify.timeout_s))
    return WebhookPage(items=[webhook_view(e) for e in page.endpoints], next_cursor=page.next_cursor or None)


def _ref(tenant_id: str, webhook_id: str) -> notify_pb2.EndpointRef:
    return notify_pb2.EndpointRef(tenant_id=tenant_id, endpoint_id=webhook_id)


async def get_webhook(notify: NotifyClient, *, tenant_id: str, webhook_id: str) -> Webhook:
    ref = _ref(tenant_id, webhook_id)
    return webhook_view(await notify.calling(lambda: notify.stub.GetEndpoint(ref, timeout=notify.timeout_s)))


async def update_webhook(notify: NotifyClient, *, tenant_id: str, webhook_id: str, body: WebhookUpdate) -> Webhook:
    request = notify_pb2.UpdateEndpointRequest(tenant_id=tenant_id, endpoint_id=webhook_id)
    if body.url is not None:
        request.url = str(body.url)
    if body.description is not None:
        request.description = body.description
    if body.event_types is not None:
        request.set_event_types = True
        request.event_types.extend(body.event_types)
    if body.job_kinds is not None:
        request.set_job_kinds = True
        request.job_kinds.extend(body.job_kinds)
    if body.enabled is not None:
        request.enabled = body.enabled
    return webhook_view(await notify.calling(lambda: notify.stub.UpdateEndpoint(request, timeout=notify.timeout_s)))


async def delete_webhook(notify: NotifyClient, *, tenant_id: str, webhook_id: str) -> None:
    ref = _ref(tenant_id, webhook_id)
    await notify.calling(lambda: notify.stub.DeleteEndpoint(ref, timeout=notify.timeout_s))


async def rotate_secret(notify: NotifyClient, *, tenant_id: str, webhook_id: str) -> WebhookWithSecret:
    ref = _ref(tenant_id, webhook_id)
    return _with_secret(await notify.calling(lambda: notify.stub.RotateSecret(ref, timeout=notify.timeout_s)))


async def send_test(notify: NotifyClient, *, tenant_id: str, webhook_id: str) -> Delivery:
    ref = _ref(tenant_id, webhook_id)
    return delivery_view(await notify.calling(lambda: notify.stub.SendTest(ref, timeout=notify.timeout_s)))


async def list_deliveries(
    notify: NotifyClient, *, tenant_id: str, webhook_id: str, status: str | None, limit: int, cursor: str | None
) -> DeliveryPage:
    request = notify_pb2.ListDeliveriesRequest(
        tenant_id=tenant_id, endpoint_id=webhook_id, status=status or "", page_size=limit, cursor=cursor or ""
    )
    page = await notify.calling(lambda: notify.stub.ListDeliveries(request, timeout=notify.timeout_s))
    return DeliveryPage(items=[delivery_view(d) for d in page.deliveries], next_cursor=page.next_cursor or None)


def _delivery_ref(tenant_id: str, webhook_id: str, delivery_id: str) -> notify_pb2.DeliveryRef:
    return notify_pb2.DeliveryRef(tenant_id=tenant_id, endpoint_id=webhook_id, delivery_id=delivery_id)


async def get_delivery(notify: NotifyClient, *, tenant_id: str, webhook_id: str, delivery_id: str) -> DeliveryDetail:
    ref = _delivery_ref(tenant_id, webhook_id, delivery_id)
    return delivery_detail(await notify.calling(lambda: notify.stub.GetDelivery(ref, timeout=notify.timeout_s)))


async def replay_delivery(notify: NotifyClient, *, tenant_id: str, webhook_id: str, delivery_id: str) -> DeliveryDetail:
    ref = _delivery_ref(tenant_id, webhook_id, delivery_id)
    return delivery_detail(await notify.calling(lambda: notify.stub.ReplayDelivery(ref, timeout=notify.timeout_s)))


async def replay_failed(notify: NotifyClient, *, tenant_id: str, webhook_id: str, since: datetime) -> int:
    aware = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
    request = notify_pb2.ReplayFailedRequest(tenant_id=tenant_id, endpoint_id=webhook_id, since=timestamp(aware))
    result = await notify.calling(lambda: notify.stub.ReplayFailed(request, timeout=notify.timeout_s))
    return int(result.replayed)


def _email_view(settings: notify_pb2.EmailSettings) -> EmailSettings:
    return EmailSettings(
        address=settings.address,
        event_types=list(settings.event_types),  # type: ignore[arg-type]  # checked by notify
        job_kinds=list(settings.job_kinds),
        enabled=settings.enabled,
        updated_at=datetime_of(settings.updated_at),
    )


async def get_email_settings(notify: NotifyClient, *, tenant_id: str) -> EmailSettings:
    ref = notify_pb2.TenantRef(tenant_id=tenant_id)
    return _email_view(await notify.calling(lambda: notify.stub.GetEmailSettings(ref, timeout=notify.timeout_s)))


async def put_email_settings(notify: NotifyClient, *, tenant_id: str, body: EmailSettingsUpdate) -> EmailSettings:
    request = notify_pb2.EmailSettings(
        tenant_id=tenant_id,
        address=body.address,
        event_types=body.event_types,
        job_kinds=body.job_kinds,
        enabled=body.enabled,
    )
    return _email_view(await notify.calling(lambda: notify.stub.PutEmailSettings(request, timeout=notify.timeout_s)))
