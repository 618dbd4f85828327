"""Schemathesis hooks of test_openapi_fuzz.py (loaded through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

from reelforge_gateway.api.idempotency import key_of


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]) -> None:
    """Keep valid requests valid for the gateway in two ways the schema does not spell out.

    Invalid requests (a malformed key, a missing header, ...) are sent as drawn:
    a refusal is what they expect.
    """
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return
    # The generator draws few distinct Idempotency-Keys, so two different requests
    # would share one and the second be refused as `idempotency_key_reused`: right
    # for the API, noise for the fuzz. Each request gets a key of its own.
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and key_of(key) is not None:
        case.headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4().hex}"
    # `generation.allow-x00 = false` keeps U+0000 out of the strings drawn, not out
    # of property names (extra properties, tag maps); the gateway refuses it anywhere.
    if isinstance(case.body, dict | list):
        body = _without_nul_names(case.body)
        if body != case.body:
            case.body = body


def _without_nul_names(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: _without_nul_names(item) for name, item in value.items() if "\x00" not in name}
    if isinstance(value, list):
        return [_without_nul_names(item) for item in value]
    return value
