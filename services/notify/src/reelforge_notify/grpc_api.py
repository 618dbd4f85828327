"""The ``reelforge.notify.v1.Notify`` gRPC service, called by the gateway."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import grpc

from reelforge.notify.v1 import notify_pb2, notify_pb2_grpc
from reelforge_common.db import Database
from reelforge_common.grpc_server import refuse
from reelforge_common.pagination import after_cursor, encode_cursor, page_size
from reelforge_common.proto_time import timestamp
from reelforge_common.safe_egress import AddressPolicy, ForbiddenTargetError, check_url
from reelforge_notify.emailing import Postman
from reelforge_notify.intake import Intake
from reelforge_notify.messages import EMAIL_EVENT_TYPES, EVENT_TYPES, webhook_test_message
from reelforge_notify.signing import new_secret
from reelforge_notify.store import deliveries, emails, endpoints
from reelforge_notify.store.deliveries import DeliveryRow
from reelforge_notify.store.emails import EmailSettingsRow
from reelforge_notify.store.endpoints import EndpointRow

Rq = TypeVar("Rq")
Rs = TypeVar("Rs")
SERVICE_NAME = "reelforge.notify.v1.Notify"
_MAX_URL, _MAX_DESCRIPTION = 2048, 500
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_STATUSES = {"", "pending", "succeeded", "failed"}
_STATUS = {
    "not_found": grpc.StatusCode.NOT_FOUND,
    "validation_failed": grpc.StatusCode.INVALID_ARGUMENT,
    "url_forbidden": grpc.StatusCode.INVALID_ARGUMENT,
    "url_unresolvable": grpc.StatusCode.INVALID_ARGUMENT,
    "url_fetch_failed": grpc.StatusCode.UNAVAILABLE,
    "email_not_configured": grpc.StatusCode.FAILED_PRECONDITION,
}


class RefusedError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def endpoint_message(row: EndpointRow) -> notify_pb2.Endpoint:
    return notify_pb2.Endpoint(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=row.event_types,
        job_kinds=row.job_kinds,
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        failing_since=timestamp(row.failing_since),
    )


def delivery_message(row: DeliveryRow) -> notify_pb2.Delivery:
    return notify_pb2.Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        message_id=row.message_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=timestamp(row.next_attempt_at if row.status == "pending" else None),
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
    )


def _email_settings(row: EmailSettingsRow) -> notify_pb2.EmailSettings:
    return notify_pb2.EmailSettings(
        tenant_id=row.tenant_id,
        address=row.address,
        event_types=row.event_types,
        job_kinds=row.job_kinds,
        enabled=row.enabled,
        updated_at=timestamp(row.updated_at),
    )


def _event_types(values: list[str], allowed: tuple[str, ...]) -> list[str]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise RefusedError("validation_failed", f"unknown event types {unknown}; known: {list(allowed)}")
    return sorted(set(values))


def _job_kinds(values: list[str]) -> list[str]:
    bad = [kind for kind in values if not _KIND.match(kind)]
    if bad:
        raise RefusedError("validation_failed", f"not job kinds: {bad}")
    return sorted(set(values))


def _after(cursor: str) -> tuple[datetime, str] | None:
    try:
        return after_cursor(cursor)
    except ValueError as exc:
        raise RefusedError("validation_failed", str(exc)) from None


def _refusing(
    method: Callable[[NotifyService, Rq, grpc.aio.ServicerContext], Awaitable[Rs]],
) -> Callable[[NotifyService, Rq, grpc.aio.ServicerContext], Awaitable[Rs]]:
    """A refusal raised by ``method`` ends the call with its status and ``rf-code``."""

    @functools.wraps(method)
    async def call(self: NotifyService, request: Rq, context: grpc.aio.ServicerContext) -> Rs:
        try:
            return await method(self, request, context)
        except RefusedError as refusal:
            await refuse(context, _STATUS[refusal.code], refusal.code, refusal.detail)

    return call


class NotifyService(notify_pb2_grpc.NotifyServicer):
    def __init__(
        self, db: Database, policy: AddressPolicy, intake: Intake, postman: Postman, *, secret_grace_s: float
    ) -> None:
        self._db = db
        self._policy = policy
        self._intake = intake
        self._postman = postman
        self._secret_grace_s = secret_grace_s

    def register(self, server: grpc.aio.Server) -> None:
        notify_pb2_grpc.add_NotifyServicer_to_server(self, server)

    async def _url(self, url: str) -> str:
        """An http(s) URL whose host resolves, today, only to addresses deliveries may reach."""
        if len(url) > _MAX_URL:
            raise RefusedError("validation_failed", f"the URL is longer than {_MAX_URL} characters")
        try:
            host, port = check_url(url)
            await self._policy.resolve(host, port)
        except ForbiddenTargetError as exc:
            raise RefusedError(exc.code, exc.detail) from None
        return url

    async def _endpoint(self, tenant_id: str, endpoint_id: str) -> EndpointRow:
        found = await endpoints.get(self._db.pool, tenant_id, endpoint_id)
        if found is None:
            raise RefusedError("not_found", f"no webhook endpoint {endpoint_id}")
        return found

    async def _delivery(self, request: notify_pb2.DeliveryRef) -> DeliveryRow:
        found = await deliveries.get(self._db.pool, request.tenant_id, request.endpoint_id, request.delivery_id)
        if found is None:
            raise RefusedError("not_found", f"no delivery {request.delivery_id} to endpoint {request.endpoint_id}")
        return found

    async def _with_log(self, row: DeliveryRow) -> notify_pb2.Delivery:
        message = delivery_message(row)
        message.payload = await deliveries.payload(self._db.pool, row.tenant_id, row.message_id)
        for attempt in await deliveries.attempts(self._db.pool, row.tenant_id, row.id):
            message.attempt_log.append(
                notify_pb2.Attempt(
                    attempt=attempt.attempt,
                    started_at=timestamp(attempt.started_at),
                    status_code=attempt.status_code,
                    latency_ms=attempt.latency_ms,
                    error=attempt.error,
                    response_excerpt=attempt.response_excerpt,
                )
            )
        return message

    # Endpoints.

    @_refusing
    async def CreateEndpoint(
        self, request: notify_pb2.CreateEndpointRequest, context: grpc.aio.ServicerContext
    ) -> notify_pb2.EndpointWithSecret:
        if len(request.description) > _MAX_DESCRIPTION:
            raise RefusedError("validation_failed", f"the description is longer than {_MAX_DESCRIPTION} characters")
        url = await self._url(request.url)
        secret = new_secret()
        async with self._db.transaction() as conn:
            row = await endpoints.create(
                conn,
                tenant_id=request.tenant_id,
                endpoint_id="ep_" + uuid.uuid4().hex,
                url=url,
                description=request.description,
                event_types=_event_types(list(request.event_types), EVENT_TYPES),
                job_kinds=_job_kinds(list(request.job_kinds)),
                enabled=not request.disabled,
                secret=secret,
            )
        return notify_pb2.EndpointWithSecret(endpoint=endpoint_message(row), secret=secret)

    @_refusing
    async def ListEndpoints(
        self, request: notify_pb2.ListEndpointsRequest, context: grpc.aio.ServicerContext
    ) -> notify_pb2.EndpointPage:
        limit = page_size(request.page_size)
        rows = await endpoints.page(self._db.pool, request.tenant_id, limit=limit + 1, after=_after(request.cursor))
        page = notify_pb2.EndpointPage(endpoints=[endpoint_message(row) for row in rows[:limit]])
        if len(rows) > limit:
            page.next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
        return page

    @_refusing
    async def GetEndpoint(
        self, request: notify_pb2.EndpointRef, context: grpc.aio.ServicerContext
    ) -> notify_pb2.Endpoint:
        return endpoint_message(await self._endpoint(request.tenant_id, request.endpoint_id))

    @_refusing
    async def UpdateEndpoint(
        self, request: notify_pb2.UpdateEndpointRequest, context: grpc.aio.ServicerContext
    ) -> notify_pb2.Endpoint:
        if request.HasField("description") and len(request.description) > _MAX_DESCRIPTION:
            raise RefusedError("validation_failed", f"the description is longer than {_MAX_DESCRIPTION} characters")
        url = await self._url(request.url) if request.HasField("url") else None
        row = await endpoints.update(
            self._db.pool,
            request.tenant_id,
            request.endpoint_id,
            url=url,
            description=request.description if request.HasField("description") else None,
            event_types=_event_types(list(request.event_types), EVENT_TYPES) if request.set_event_types else None,
            job_kinds=_job_kinds(list(request.job_kinds)) if request.set_job_kinds else None,
            enabled=request.enabled if request.HasField("enabled") else None,
        )
        if row is None:
            raise RefusedError("not_found", f"no webhook endpoint {request.endpoint_id}")
        if row.enabled:
            self._intake.wake_deliveries()  # deliveries it held back are due
        return endpoint_message(row)

    @_refusing
    async def DeleteEndpoint(
        self, request: notify_pb2.EndpointRef, context: grpc.aio.ServicerContext
    ) -> notify_pb2.Deleted:
        async with self._db.transaction() as conn:
            if not await endpoints.delete(conn, request.tenant_id, request.endpoint_id):
                raise RefusedError("not_found", f"no webhook endpoint {request.endpoint_id}")
        return notify_pb2.Deleted()

    @_refusing
    async def RotateSecret(
        self, request: notify_pb2.EndpointRef, context: grpc.aio.ServicerContext
    ) -> notify_pb2.EndpointWithSecret:
        secret = new_secret()
        async with self._db.transaction() as conn:
            row = await endpoints.get(conn, request.tenant_id, request.endpoint_id)
            if row is None:
                raise RefusedError("not_found", f"no webhook endpoint {request.endpoint_id}")
            await endpoints.rotate_secret(
                conn, tenant_id=request.tenant_id, endpoint_id=row.id, secret=secret, grace_s=self._secret_grace_s
            )
        return notify_pb2.EndpointWithSecret(endpoint=endpoint_message(row), secret=secret)

    @_refusing
    async def SendTest(self, request: notify_pb2.EndpointRef, context: grpc.aio.ServicerContext) -> notify_pb2.Delivery:
        endpoint = await self._endpoint(request.tenant_id, request.endpoint_id)
        message = webhook_test_message(endpoint.id)
        async with self._db.transaction() as conn:
            await deliveries.add_message(conn, request.tenant_id, message)
            row = await deliveries.add(conn, request.tenant_id, endpoint.id, message)
        assert row is not None  # a new message id
        self._intake.wake_deliveries()
        return delivery_message(row)

    # Deliveries.

    @_refusing
    async def ListDeliveries(
        self, request: notify_pb2.ListDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> notify_pb2.DeliveryPage:
        if request.status not in _STATUSES:
            raise RefusedError("validation_failed", f"status must be one of {sorted(_STATUSES - {''})}")
        await self._endpoint(request.tenant_id, request.endpoint_id)
        limit = page_size(request.page_size)
        rows = await deliveries.page(
            self._db.pool,
            request.tenant_id,
            request.endpoint_id,
            status=request.status,
            limit=limit + 1,
            after=_after(request.cursor),
        )
        page = notify_pb2.DeliveryPage(deliveries=[delivery_message(row) for row in rows[:limit]])
        if len(rows) > limit:
            page.next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
        return page

    @_refusing
    async def GetDelivery(
        self, request: notify_pb2.DeliveryRef, context: grpc.aio.ServicerContext
    ) -> notify_pb2.Delivery:
        return await self._with_log(await self._delivery(request))

    @_refusing
    async def ReplayDelivery(
        self, request: notify_pb2.DeliveryRef, context: grpc.aio.ServicerContext
    ) -> notify_pb2.Delivery:
        found = await self._delivery(request)
        replayed = await deliveries.replay(self._db.pool, request.tenant_id, request.endpoint_id, request.delivery_id)
        self._intake.wake_deliveries()
        return await self._with_log(replayed or found)

    @_refusing
    async def ReplayFailed(
        self, request: notify_pb2.ReplayFailedRequest, context: grpc.aio.ServicerContext
    ) -> notify_pb2.ReplayFailedResult:
        await self._endpoint(request.tenant_id, request.endpoint_id)
        since = request.since.ToDatetime(tzinfo=UTC) if request.HasField("since") else datetime.fromtimestamp(0, UTC)
        count = await deliveries.replay_failed(self._db.pool, request.tenant_id, request.endpoint_id, since=since)
        self._intake.wake_deliveries()
        return notify_pb2.ReplayFailedResult(replayed=count)

    # Email.

    @_refusing
    async def GetEmailSettings(
        self, request: notify_pb2.TenantRef, context: grpc.aio.ServicerContext
    ) -> notify_pb2.EmailSettings:
        row = await emails.get_settings(self._db.pool, request.tenant_id)
        if row is None:
            return notify_pb2.EmailSettings(tenant_id=request.tenant_id)
        return _email_settings(row)

    @_refusing
    async def PutEmailSettings(
        self, request: notify_pb2.EmailSettings, context: grpc.aio.ServicerContext
    ) -> notify_pb2.EmailSettings:
        if request.enabled and not self._postman.enabled:
            raise RefusedError("email_not_configured", "this deployment has no SMTP server configured")
        if request.address and not _ADDRESS.match(request.address):
            raise RefusedError("validation_failed", f"not an email address: {request.address!r}")
        if request.enabled and not request.address:
            raise RefusedError("validation_failed", "an address is needed to turn email on")
        row = await emails.put_settings(
            self._db.pool,
            request.tenant_id,
            address=request.address,
            event_types=_event_types(list(request.event_types), EMAIL_EVENT_TYPES),
            job_kinds=_job_kinds(list(request.job_kinds)),
            enabled=request.enabled,
        )
        return _email_settings(row)
