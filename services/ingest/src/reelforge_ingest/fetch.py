"""URL import that cannot be turned against the network it runs in (SSRF).

Every connection, each redirect hop included, goes through
:mod:`reelforge_common.safe_egress`, which checks every resolved address;
size and time are bounded.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urljoin

import httpcore

from reelforge_common.safe_egress import AddressPolicy, ForbiddenTargetError, GuardedBackend, check_url
from reelforge_ingest.refusals import RefusedError

_REDIRECTS = {301, 302, 303, 307, 308}


async def fetch(
    url: str, destination: Path, *, policy: AddressPolicy, max_bytes: int, timeout_s: float, max_redirects: int
) -> str:
    """Download ``url`` into ``destination``; returns the final URL."""
    try:
        async with (
            asyncio.timeout(timeout_s),
            httpcore.AsyncConnectionPool(network_backend=GuardedBackend(policy), max_connections=2) as pool,
        ):
            for _ in range(max_redirects + 1):
                check_url(url)
                location = await _get(pool, url, destination, max_bytes)
                if location is None:
                    return url
                url = urljoin(url, location)
            raise RefusedError("url_fetch_failed", f"more than {max_redirects} redirects")
    except ForbiddenTargetError as exc:
        raise RefusedError(exc.code, exc.detail) from None
    except TimeoutError:
        raise RefusedError("url_fetch_failed", f"the download took longer than {timeout_s:.0f} s") from None
    except httpcore.ProtocolError as exc:
        raise RefusedError("url_fetch_failed", f"the server broke the HTTP protocol: {exc}") from None
    except (httpcore.NetworkError, httpcore.TimeoutException) as exc:
        raise RefusedError("url_fetch_failed", f"network error: {exc}") from None


async def _get(pool: httpcore.AsyncConnectionPool, url: str, destination: Path, max_bytes: int) -> str | None:
    """GET into ``destination``; a redirect's Location instead."""
    headers = [(b"User-Agent", b"reelforge-ingest"), (b"Accept", b"*/*")]
    async with pool.stream("GET", url, headers=headers) as response:
        found = {name.lower(): value for name, value in response.headers}
        if response.status in _REDIRECTS and b"location" in found:
            return found[b"location"].decode("latin-1")
        if response.status != 200:
            raise RefusedError("url_fetch_failed", f"the server answered HTTP {response.status}")
        declared = found.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > max_bytes:
            raise RefusedError("upload_too_large", f"the file is {int(declared)} bytes; the limit is {max_bytes}")
        received = 0
        with destination.open("wb") as out:
            async for chunk in response.aiter_stream():
                received += len(chunk)
                if received > max_bytes:
                    raise RefusedError("upload_too_large", f"the file exceeds the {max_bytes}-byte limit")
                out.write(chunk)
    return None
