"""Standard Webhooks signing: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

The signature is ``v1,`` and the base64 HMAC-SHA256 of ``<id>.<timestamp>.<body>``
under the endpoint's secret (``whsec_`` and its base64 key). During a secret
rotation every live secret signs, the signatures separated by spaces, so a
receiver holding either secret verifies the message.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

_SECRET_BYTES = 32


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def signature_header(keys: Sequence[str], *, message_id: str, at: datetime, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,<signature>`` per secret."""
    return " ".join(Webhook(key).sign(message_id, at, body) for key in keys)


def webhook_headers(keys: Sequence[str], *, message_id: str, at: datetime, body: str) -> list[tuple[bytes, bytes]]:
    """Every header of a delivery attempt made at ``at``."""
    return [
        (b"Content-Type", b"application/json"),
        (b"User-Agent", b"reelforge-webhooks/1"),
        (b"webhook-id", message_id.encode()),
        (b"webhook-timestamp", str(int(at.timestamp())).encode()),
        (b"webhook-signature", signature_header(keys, message_id=message_id, at=at, body=body).encode()),
    ]
