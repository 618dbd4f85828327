"""Building and reading event envelopes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from google.protobuf import any_pb2
from google.protobuf.message import Message

from reelforge.events.v1.envelope_pb2 import Envelope
from reelforge_common.bus.errors import PermanentError
from reelforge_common.bus.subjects import check_tenant_id, split_type
from reelforge_common.telemetry import inject_context

M = TypeVar("M", bound=Message)


def new_envelope(
    *,
    event_type: str,
    tenant_id: str,
    payload: Message,
    producer: str,
    correlation_id: str = "",
    causation_id: str = "",
    event_id: str | None = None,
) -> Envelope:
    """An envelope stamped with a fresh (or given, deterministic) id, the
    current time and the current trace context.

    Everything a subject or the outbox needs is checked here, so a bad event
    fails the transaction that writes it, never the relay that publishes it.
    A deterministic ``event_id`` must be a UUID (e.g. ``uuid5`` of the event
    that caused it)."""
    split_type(event_type)
    check_tenant_id(tenant_id)
    envelope = Envelope(
        event_id=str(uuid.UUID(event_id)) if event_id else str(uuid.uuid4()),
        type=event_type,
        tenant_id=tenant_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        producer=producer,
        trace_context=inject_context(),
    )
    envelope.occurred_at.GetCurrentTime()
    envelope.payload.Pack(payload)
    return envelope


def decode_envelope(data: bytes) -> Envelope:
    envelope = Envelope()
    try:
        envelope.ParseFromString(data)
    except Exception as exc:  # protobuf raises DecodeError or RuntimeWarning subclasses
        raise PermanentError(f"undecodable envelope: {exc}") from exc
    if not envelope.event_id or not envelope.type:
        raise PermanentError("envelope without event_id or type")
    try:
        uuid.UUID(envelope.event_id)
    except ValueError as exc:
        raise PermanentError(f"event_id is not a UUID: {envelope.event_id!r}") from exc
    return envelope


@dataclass(frozen=True, slots=True)
class Event(Generic[M]):
    """A received event: the envelope's fields with its payload decoded."""

    event_id: str
    event_type: str
    tenant_id: str
    occurred_at: datetime
    correlation_id: str
    causation_id: str
    producer: str
    payload: M
    subject: str
    attempt: int
    # NATS headers of the delivery (dead letters carry Rf-Dlq-* here).
    headers: Mapping[str, str]

    @classmethod
    def from_envelope(
        cls, envelope: Envelope, message_type: type[M], *, subject: str, attempt: int, headers: Mapping[str, str]
    ) -> Event[M]:
        payload = message_type()
        if isinstance(payload, any_pb2.Any):
            # A route for many event types takes the packed payload as it is.
            payload.MergeFromString(envelope.payload.SerializeToString())
        elif not envelope.payload.Unpack(payload):
            raise PermanentError(
                f"{envelope.type} payload is {envelope.payload.TypeName()}, "
                f"expected {message_type.DESCRIPTOR.full_name}"
            )
        return cls(
            event_id=envelope.event_id,
            event_type=envelope.type,
            tenant_id=envelope.tenant_id,
            occurred_at=envelope.occurred_at.ToDatetime(tzinfo=UTC),
            correlation_id=envelope.correlation_id,
            causation_id=envelope.causation_id,
            producer=envelope.producer,
            payload=payload,
            subject=subject,
            attempt=attempt,
            headers=headers,
        )
