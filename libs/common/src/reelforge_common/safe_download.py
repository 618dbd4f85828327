"""Downloading a URL that came from outside (a tenant, a provider's answer)
without letting it reach the network the service runs in (SSRF).

Every connection, each redirect hop included, goes through
:mod:`reelforge_common.safe_egress`, which checks every resolved address;
size and time are bounded. URL imports and AI providers' result files use it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urljoin

import httpcore

from reelforge_common.safe_egress import AddressPolicy, ForbiddenTargetError, GuardedBackend, check_url

_REDIRECTS = {301, 302, 303, 307, 308}


class DownloadError(Exception):
    """The download failed; ``code`` says why: ``url_forbidden``,
    ``url_unresolvable``, ``validation_failed`` (not an http(s) URL),
    ``too_large`` or ``url_fetch_failed`` (anything else: HTTP status,
    network, time)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


async def download(
    url: str,
    destination: Path,
    *,
    policy: AddressPolicy,
    max_bytes: int,
    timeout_s: float,
    max_redirects: int,
    user_agent: str,
) -> str:
    """Download ``url`` into ``destination``; returns the final URL."""
    try:
        async with (
            asyncio.timeout(timeout_s),
            httpcore.AsyncConnectionPool(network_backend=GuardedBackend(policy), max_connections=2) as pool,
        ):
            for _ in range(max_redirects + 1):
                check_url(url)
                location = await _get(pool, url, destination, max_bytes, user_agent)
                if location is None:
                    return url
                url = urljoin(url, location)
            raise DownloadError("url_fetch_failed", f"more than {max_redirects} redirects")
    except ForbiddenTargetError as exc:
        raise DownloadError(exc.code, exc.detail) from None
    except TimeoutError:
        raise DownloadError("url_fetch_failed", f"the download took longer than {timeout_s:.0f} s") from None
    except httpcore.ProtocolError as exc:
        raise DownloadError("url_fetch_failed", f"the server broke the HTTP protocol: {exc}") from None
    except (httpcore.NetworkError, httpcore.TimeoutException) as exc:
        raise DownloadError("url_fetch_failed", f"network error: {exc}") from None


async def _get(
    pool: httpcore.AsyncConnectionPool, url: str, destination: Path, max_bytes: int, user_agent: str
) -> str | None:
    """GET into ``destination``; a redirect's Location instead."""
    headers = [(b"User-Agent", user_agent.encode()), (b"Accept", b"*/*")]
    async with pool.stream("GET", url, headers=headers) as response:
        found = {name.lower(): value for name, value in response.headers}
        if response.status in _REDIRECTS and b"location" in found:
            return found[b"location"].decode("latin-1")
        if response.status != 200:
            raise DownloadError("url_fetch_failed", f"the server answered HTTP {response.status}")
        declared = found.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > max_bytes:
            raise DownloadError("too_large", f"the file is {int(declared)} bytes; the limit is {max_bytes}")
        received = 0
        with destination.open("wb") as out:
            async for chunk in response.aiter_stream():
                received += len(chunk)
                if received > max_bytes:
                    raise DownloadError("too_large", f"the file exceeds the {max_bytes}-byte limit")
                out.write(chunk)
    return None
