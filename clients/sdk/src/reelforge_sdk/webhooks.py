"""Webhook endpoints, their deliveries and email settings as the API serves them,
and :func:`verify_webhook` for receivers.

Like the other models, each keeps the JSON it was parsed from in ``raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook as _Verifier

from reelforge_sdk.models import JSON, _optional_time, _time

EVENT_TYPES = ("job.queued", "job.progress", "job.succeeded", "job.failed", "webhook.test")


def verify_webhook(body: bytes | str, headers: Mapping[str, str], secret: str) -> dict[str, Any]:
    """The message of a delivery whose Standard Webhooks signature ``secret``
    verifies (and whose timestamp is within 5 minutes); raises
    ``standardwebhooks.WebhookVerificationError`` otherwise. Pass the raw body,
    before any JSON parsing."""
    message: dict[str, Any] = _Verifier(secret).verify(body, dict(headers))
    return message


@dataclass(frozen=True)
class Webhook:
    """An endpoint; ``secret`` is set only in the answers that create or rotate it."""

    id: str
    url: str
    description: str
    event_types: tuple[str, ...]
    job_kinds: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    secret: str | None = None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Webhook:
        return cls(
            id=data["id"],
            url=data["url"],
            description=data.get("description", ""),
            event_types=tuple(data.get("event_types", ())),
            job_kinds=tuple(data.get("job_kinds", ())),
            enabled=bool(data["enabled"]),
            disabled_reason=data.get("disabled_reason"),
            failing_since=_optional_time(data.get("failing_since")),
            created_at=_time(data["created_at"]),
            secret=data.get("secret"),
            raw=data,
        )


@dataclass(frozen=True)
class DeliveryAttempt:
    attempt: int
    started_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None

    @classmethod
    def from_json(cls, data: JSON) -> DeliveryAttempt:
        return cls(
            attempt=int(data["attempt"]),
            started_at=_time(data["started_at"]),
            status_code=data.get("status_code"),
            latency_ms=float(data["latency_ms"]),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class Delivery:
    """One message to one endpoint; ``attempt_log`` and ``payload`` are filled
    when read one by one (``get_delivery``, the replays)."""

    id: str
    webhook_id: str
    message_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    payload: str | None = None
    attempt_log: tuple[DeliveryAttempt, ...] = ()
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Delivery:
        return cls(
            id=data["id"],
            webhook_id=data["webhook_id"],
            message_id=data["message_id"],
            event_type=data["event_type"],
            status=data["status"],
            attempts=int(data["attempts"]),
            next_attempt_at=_optional_time(data.get("next_attempt_at")),
            last_status_code=data.get("last_status_code"),
            last_error=data.get("last_error"),
            created_at=_time(data["created_at"]),
            payload=data.get("payload"),
            attempt_log=tuple(DeliveryAttempt.from_json(a) for a in data.get("attempt_log", ())),
            raw=data,
        )


@dataclass(frozen=True)
class EmailSettings:
    address: str
    event_types: tuple[str, ...]
    job_kinds: tuple[str, ...]
    enabled: bool
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> EmailSettings:
        return cls(
            address=data.get("address", ""),
            event_types=tuple(data.get("event_types", ())),
            job_kinds=tuple(data.get("job_kinds", ())),
            enabled=bool(data.get("enabled", False)),
            raw=data,
        )
