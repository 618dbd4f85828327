"""HTTP to a provider's API (httpx): the configured base URL, its auth
headers and deadline; transport failures and answers that are not what the
protocol promises become :class:`ProviderError`; result files are downloaded
SSRF-safe, because their URLs come from the provider's answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from reelforge_aigen.providers.base import ProviderError, unavailable
from reelforge_common.safe_download import DownloadError, download
from reelforge_common.safe_egress import AddressPolicy

_USER_AGENT = "reelforge-aigen"


@dataclass(frozen=True)
class Downloads:
    """Where and how much result files may be fetched from."""

    policy: AddressPolicy
    max_bytes: int
    timeout_s: float


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the provider asks us to wait: ``retry-after-ms``, then
    ``Retry-After`` (seconds or an HTTP date); None when it says nothing."""
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


class ProviderHttp:
    """One provider's HTTP client."""

    def __init__(
        self, provider: str, base_url: str, headers: dict[str, str], *, timeout_s: float, downloads: Downloads
    ) -> None:
        self.provider = provider
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"User-Agent": _USER_AGENT, **headers},
            timeout=timeout_s,
            follow_redirects=False,
        )
        self._downloads = downloads

    async def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The provider's answer, whatever its status; no answer at all is ``provider_unavailable``."""
        try:
            return await self._client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise unavailable(f"{self.provider} did not answer {method} {path} in time") from None
        except httpx.HTTPError as exc:
            raise unavailable(f"{self.provider}: {type(exc).__name__}: {exc}") from None

    def json_of(self, response: httpx.Response) -> Any:
        """The answer's JSON body; a body that is not JSON is a provider fault (retryable)."""
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            excerpt = response.text[:200].replace("\n", " ")
            raise unavailable(
                f"{self.provider} answered HTTP {response.status_code} with a body that is not JSON: {excerpt!r}"
            ) from None

    async def download(self, url: str, dest: Path) -> None:
        """Fetch a result file named in an answer."""
        try:
            await download(
                url,
                dest,
                policy=self._downloads.policy,
                max_bytes=self._downloads.max_bytes,
                timeout_s=self._downloads.timeout_s,
                max_redirects=3,
                user_agent=_USER_AGENT,
            )
        except DownloadError as exc:
            retryable = exc.code == "url_fetch_failed"
            raise ProviderError(
                "provider_unavailable" if retryable else "provider_bad_result",
                f"{self.provider}'s result could not be downloaded: {exc.detail}",
                retryable=retryable,
            ) from None

    async def close(self) -> None:
        await self._client.aclose()
