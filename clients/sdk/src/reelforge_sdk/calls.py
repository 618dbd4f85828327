"""One API request, described once and sent by either client.

A :class:`Call` says what to send and how to read the answer; the sync and
async clients only differ in how they put it on the wire.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from reelforge_sdk.errors import ReelforgeError
from reelforge_sdk.multipart import MultipartFile
from reelforge_sdk.retry import RetryPolicy

T = TypeVar("T")

DEFAULT_API_URL = "http://127.0.0.1:17002"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# A streamed upload, or completing a multipart one, is answered once the server
# has stored and validated the whole file (the gateway allows ingest 10 minutes).
UPLOAD_TIMEOUT = httpx.Timeout(900.0, connect=10.0)
# Event streams idle between changes; the server's keep-alives arrive well within this.
STREAM_TIMEOUT = httpx.Timeout(90.0, connect=10.0)
USER_AGENT = "reelforge-sdk/0.1.0"


@dataclass(frozen=True)
class ClientConfig:
    """Where the API is, who the caller is, and how patient to be."""

    api_url: str
    api_key: str | None
    timeout: httpx.Timeout
    retry: RetryPolicy

    @classmethod
    def resolve(
        cls,
        api_url: str | None,
        api_key: str | None,
        timeout: float | httpx.Timeout | None,
        retry: RetryPolicy | None,
    ) -> ClientConfig:
        """Arguments first, then ``REELFORGE_API_URL`` / ``REELFORGE_API_KEY``."""
        url = api_url or os.environ.get("REELFORGE_API_URL") or DEFAULT_API_URL
        if timeout is None:
            resolved_timeout = DEFAULT_TIMEOUT
        elif isinstance(timeout, httpx.Timeout):
            resolved_timeout = timeout
        else:
            resolved_timeout = httpx.Timeout(timeout)
        return cls(
            api_url=url.rstrip("/"),
            api_key=api_key or os.environ.get("REELFORGE_API_KEY") or None,
            timeout=resolved_timeout,
            retry=retry or RetryPolicy(),
        )


@dataclass(frozen=True)
class Call(Generic[T]):
    """An API request and the parser of its answer.

    ``parse`` gets the JSON (``None`` for 204), or with ``as_text`` the body as
    text (transcripts in SRT, WebVTT or plain text).
    """

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    token: str | None = None
    idempotency_key: str | None = None
    upload: MultipartFile | None = None
    timeout: httpx.Timeout | None = None
    accept: str = "application/json"
    as_text: bool = False


def post(path: str, parse: Callable[[Any], T], *, idempotency_key: str | None = None, **kwargs: Any) -> Call[T]:
    """A POST with an ``Idempotency-Key``: the caller's, or a fresh one kept across retries."""
    return Call("POST", path, parse, idempotency_key=idempotency_key or str(uuid.uuid4()), **kwargs)


def request_args(call: Call[Any], config: ClientConfig) -> dict[str, Any]:
    """Keyword arguments for ``httpx.Client.build_request`` (sync or async), body aside."""
    token = call.token or config.api_key
    if not token:
        raise ReelforgeError(
            code="missing_api_key",
            title="No API key",
            detail="pass api_key= or set REELFORGE_API_KEY",
        )
    headers = {"Authorization": f"Bearer {token}", "Accept": call.accept}
    if call.idempotency_key:
        headers["Idempotency-Key"] = call.idempotency_key
    if call.upload is not None:
        headers.update(call.upload.headers)
    params = {k: v for k, v in (call.params or {}).items() if v is not None}
    args: dict[str, Any] = {"method": call.method, "url": call.path, "headers": headers, "params": params or None}
    if call.json is not None:
        args["json"] = call.json
    if call.timeout is not None:
        args["timeout"] = call.timeout
    return args


def read_result(call: Call[T], response: httpx.Response) -> T:
    """The parsed answer, or the API's problem raised as :class:`ReelforgeError`."""
    if not response.is_success:
        raise ReelforgeError.from_response(response)
    try:
        if call.as_text:
            return call.parse(response.text)
        data = response.json() if response.content else None
        return call.parse(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise ReelforgeError(
            code="invalid_response",
            title="The API answered something the SDK cannot read",
            detail=f"{call.method} {call.path}: {exc!r}",
            status=response.status_code,
        ) from exc
