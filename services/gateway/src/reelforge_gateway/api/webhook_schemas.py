"""Request and response bodies of webhook endpoints, deliveries and email settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, Field

EventType = Literal["job.queued", "job.progress", "job.succeeded", "job.failed", "webhook.test"]
EmailEventType = Literal["job.succeeded", "job.failed"]
JobKind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
_EVENT_TYPES = "Event types delivered; empty or omitted: all of them"
_JOB_KINDS = "Job kinds delivered (e.g. `clipjob`, `transcription`, `pose`, `ingest`); empty or omitted: all"


class WebhookCreate(BaseModel):
    url: AnyHttpUrl = Field(description="http(s) URL that receives the POSTs; it must resolve to public addresses only")
    description: str = Field(default="", max_length=500)
    event_types: list[EventType] = Field(default_factory=list, max_length=10, description=_EVENT_TYPES)
    job_kinds: list[JobKind] = Field(default_factory=list, max_length=20, description=_JOB_KINDS)
    enabled: bool = True


class WebhookUpdate(BaseModel):
    url: AnyHttpUrl | None = None
    description: str | None = Field(default=None, max_length=500)
    event_types: list[EventType] | None = Field(default=None, max_length=10, description=_EVENT_TYPES)
    job_kinds: list[JobKind] | None = Field(default=None, max_length=20, description=_JOB_KINDS)
    enabled: bool | None = Field(
        default=None, description="true re-enables a disabled endpoint (and clears its failure state)"
    )


class Webhook(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    job_kinds: list[str]
    enabled: bool
    disabled_reason: str | None = Field(
        description="Why it is disabled: `gone` (it answered 410), `failing` (every delivery failed for 5 days) "
        "or `tenant`; null while enabled"
    )
    failing_since: datetime | None = Field(description="Since when every delivery has failed; null while healthy")
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(Webhook):
    secret: str = Field(
        description="The signing secret (`whsec_...`), shown only here: verify each delivery's "
        "`webhook-signature` with it (Standard Webhooks)"
    )


class WebhookPage(BaseModel):
    items: list[Webhook]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class Attempt(BaseModel):
    attempt: int
    started_at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null when no answer came")
    latency_ms: float
    error: str | None
    response_excerpt: str = Field(description="The start of the receiver's answer")


class Delivery(BaseModel):
    id: str
    webhook_id: str
    message_id: str = Field(description="The `webhook-id` header: the same on every attempt")
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: datetime | None = Field(description="When it is tried next; null unless pending")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class DeliveryDetail(Delivery):
    payload: str = Field(description="The body sent, byte for byte")
    attempt_log: list[Attempt]


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class Replay(BaseModel):
    since: datetime = Field(description="Replay the failed deliveries created at or after this time")


class Replayed(BaseModel):
    replayed: int = Field(description="Deliveries queued again")


class EmailSettingsUpdate(BaseModel):
    """The tenant's email settings as a PUT sends them."""

    address: str = Field(
        default="",
        max_length=320,
        pattern=r"^(?:[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+)?$",  # what notify accepts as an address
        description="Where job emails go",
    )
    event_types: list[EmailEventType] = Field(default_factory=list, description="Empty: both")
    job_kinds: list[JobKind] = Field(default_factory=list, max_length=20, description="Empty: every kind")
    enabled: bool = Field(default=False, strict=True)


class EmailSettings(EmailSettingsUpdate):
    updated_at: datetime | None = None
