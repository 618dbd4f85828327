"""An OpenAI-compatible chat completions API (``POST {base}/chat/completions``).

Errors are ``{"error": {"message", "type", "param", "code"}}``. A 429 is
either a rate limit (``rate_limit_exceeded``: wait, honouring
``retry-after-ms`` / ``Retry-After``) or an exhausted quota
(``insufficient_quota`` and its kin: no retry), told apart by the code.
JSON mode is ``response_format: {"type": "json_object"}``; the reply's
``content`` is then a JSON string, cut short when ``finish_reason`` is
``length``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from reelforge_aigen.providers.base import (
    ProviderError,
    auth_failed,
    out_of_credit,
    rate_limited,
    rejected,
    unavailable,
)
from reelforge_aigen.providers.http import Downloads, ProviderHttp, retry_after

_QUOTA_CODES = {
    "insufficient_quota",
    "credit_balance_exhausted",
    "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded",
    "organization_usage_limit_exceeded",
}


@dataclass(frozen=True)
class Reply:
    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int


class ChatProvider:
    name = "llm"

    def __init__(self, *, api_key: str, base_url: str, model: str, timeout_s: float, downloads: Downloads) -> None:
        self.model = model
        self._http = ProviderHttp(
            self.name, base_url, {"Authorization": f"Bearer {api_key}"}, timeout_s=timeout_s, downloads=downloads
        )

    def _refusal(self, response: httpx.Response) -> ProviderError:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        code = str(error.get("code") or error.get("type") or "") if isinstance(error, dict) else ""
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        text = f"chat model HTTP {response.status_code} {code}: {message}".strip()
        status, wait = response.status_code, retry_after(response.headers)
        if status == 401:
            return auth_failed(text)
        if code in _QUOTA_CODES:
            return out_of_credit(text)
        if status == 429 or code == "rate_limit_exceeded":
            return rate_limited(text, retry_after=wait)
        if status >= 500 or status in {408, 409}:
            return unavailable(text, retry_after=wait)
        return rejected(text)

    async def complete(
        self, messages: list[dict[str, str]], *, json_mode: bool, max_tokens: int, temperature: float
    ) -> Reply:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if json_mode:
            request["response_format"] = {"type": "json_object"}
        response = await self._http.send("POST", "/chat/completions", json=request)
        if response.status_code != 200:
            raise self._refusal(response)
        body = self._http.json_of(response)
        try:
            choice = body["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise unavailable("the chat model's answer has no choices[0].message.content") from None
        if choice.get("finish_reason") == "length" and json_mode:
            raise rejected(f"the chat model's JSON was cut short at max_tokens={max_tokens}")
        usage = body.get("usage") or {}
        return Reply(
            content=str(content or ""),
            model=str(body.get("model") or self.model),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )

    async def close(self) -> None:
        await self._http.close()
