"""Signatures made by the notify service, checked with the Standard Webhooks reference verifier."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from reelforge_notify.signing import new_secret, webhook_headers

BODY = '{"type":"job.succeeded","timestamp":"2026-12-03T12:00:00Z","data":{"job_id":"j1"}}'


def _headers(keys: list[str], at: datetime, body: str = BODY) -> dict[str, str]:
    return {
        name.decode(): value.decode() for name, value in webhook_headers(keys, message_id="msg_1", at=at, body=body)
    }


def test_a_signature_verifies_with_the_reference_verifier() -> None:
    secret = new_secret()
    headers = _headers([secret], datetime.now(UTC))
    assert Webhook(secret).verify(BODY, headers) == {
        "type": "job.succeeded",
        "timestamp": "2026-12-03T12:00:00Z",
        "data": {"job_id": "j1"},
    }
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-signature"].startswith("v1,")


def test_secrets_are_whsec_and_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_a_tampered_body_is_rejected() -> None:
    secret = new_secret()
    headers = _headers([secret], datetime.now(UTC))
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(BODY.replace("j1", "j2"), headers)


def test_another_secret_is_rejected() -> None:
    headers = _headers([new_secret()], datetime.now(UTC))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_an_old_timestamp_is_rejected() -> None:
    secret = new_secret()
    headers = _headers([secret], datetime.now(UTC) - timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = new_secret(), new_secret()
    headers = _headers([new, old], datetime.now(UTC))
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)
