"""URL import that cannot be turned against the network it runs in (SSRF).

Only http and https. Every connection, including each redirect hop, goes
through a network backend that resolves the host itself, refuses the whole
connection if ANY resolved address is loopback, private, link-local (cloud
metadata lives there), shared, reserved or multicast, unless an operator
allowlisted its network, and then connects to the checked address, so DNS
cannot answer differently between the check and the connection. TLS still
verifies the certificate against the URL's host name. Size and time are
bounded.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore

from reelforge_ingest.refusals import RefusedError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 1024 * 1024


_NO_SUCH_NAME = frozenset({socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)})


class AddressPolicy:
    """Which addresses an import may connect to."""

    def __init__(self, allow: Sequence[IPNetwork] = ()) -> None:
        self._allow = tuple(allow)

    def allows(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self._allow):
            return True
        return address.is_global and not address.is_multicast

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The host's addresses, all of them allowed, or :class:`RefusedError`."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            # No such name is the URL's fault; a resolver that failed to answer is not.
            code = "url_unresolvable" if exc.errno in _NO_SUCH_NAME else "url_fetch_failed"
            raise RefusedError(code, f"cannot resolve {host}: {exc.strerror}") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        refused = [a for a in addresses if not self.allows(a)]
        if refused or not addresses:
            raise RefusedError("url_forbidden", f"{host} resolves to an address imports may not reach ({refused[0]})")
        return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        error: Exception | None = None
        for address in await self._policy.resolve(host, port):
            try:
                return await self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise httpcore.ConnectError(f"cannot connect to {host}:{port}: {error}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedError("url_forbidden", "unix sockets are not importable")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def check_url(url: str) -> tuple[str, int]:
    """The URL's host and port if it is an importable http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise RefusedError("url_forbidden", "only http and https URLs can be imported")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedError("validation_failed", "the URL's port is not a number") from None
    if not parts.hostname:
        raise RefusedError("validation_failed", "the URL has no host")
    return parts.hostname, port


async def fetch(
    url: str, destination: Path, *, policy: AddressPolicy, max_bytes: int, timeout_s: float, max_redirects: int
) -> str:
    """Download ``url`` into ``destination``; returns the final URL."""
    try:
        async with (
            asyncio.timeout(timeout_s),
            httpcore.AsyncConnectionPool(network_backend=_GuardedBackend(policy), max_connections=2) as pool,
        ):
            for _ in range(max_redirects + 1):
                check_url(url)
                location = await _get(pool, url, destination, max_bytes)
                if location is None:
                    return url
                url = urljoin(url, location)
            raise RefusedError("url_fetch_failed", f"more than {max_redirects} redirects")
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
