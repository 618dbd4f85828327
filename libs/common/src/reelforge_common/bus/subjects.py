"""Subject and stream naming.

Event subjects are ``<prefix>.<domain>.<event>.<tenant_id>``; dead letters go
to ``dlq.<prefix>.<domain>.<event>.<tenant_id>``. Tenant ids are a single
subject token, so consumers and live-progress streams can filter per tenant.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_PATTERN_TOKEN = re.compile(r"^([A-Za-z0-9_-]+|\*)$")


def _check(value: str, what: str, pattern: re.Pattern[str] = _TOKEN) -> str:
    if not pattern.match(value):
        raise ValueError(f"invalid {what} for a subject token: {value!r}")
    return value


def split_type(event_type: str, *, allow_wildcards: bool = False) -> tuple[str, str]:
    """``"asset.ingested"`` -> ``("asset", "ingested")``."""
    parts = event_type.split(".")
    if len(parts) != 2:
        raise ValueError(f"event type must be '<domain>.<event>': {event_type!r}")
    pattern = _PATTERN_TOKEN if allow_wildcards else _TOKEN
    return _check(parts[0], "event domain", pattern), _check(parts[1], "event name", pattern)


def check_tenant_id(tenant_id: str) -> str:
    return _check(tenant_id, "tenant id")


def event_subject(prefix: str, event_type: str, tenant_id: str) -> str:
    domain, event = split_type(event_type)
    return f"{prefix}.{domain}.{event}.{check_tenant_id(tenant_id)}"


def filter_subject(prefix: str, event_type: str, tenant_id: str = "*") -> str:
    """Subject filter for a type that may use ``*`` for domain or event."""
    domain, event = split_type(event_type, allow_wildcards=True)
    return f"{prefix}.{domain}.{event}.{_check(tenant_id, 'tenant id', _PATTERN_TOKEN)}"


def dead_letter_subject(subject: str) -> str:
    return f"dlq.{subject}"


def events_stream(prefix: str) -> str:
    return f"{prefix.upper()}_EVENTS"


def dead_letter_stream(prefix: str) -> str:
    return f"{prefix.upper()}_DLQ"
