"""Schemathesis hooks of test_openapi_fuzz.py (loaded through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

from reelforge_gateway.api.idempotency import key_of


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]) -> None:
    """Give every valid request that sends an Idempotency-Key a key of its own.

    The generator draws few distinct keys, so two different requests would
    share one and the second be refused as `idempotency_key_reused`: right
    for the API, noise for the fuzz. Invalid requests (a malformed key, a
    missing header, ...) are sent as drawn: a refusal is what they expect.
    """
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and key_of(key) is not None:
        case.headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4().hex}"
