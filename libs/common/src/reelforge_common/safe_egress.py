"""HTTP to tenant-supplied URLs that cannot be turned against the network it runs in (SSRF).

Used for URL imports and webhook deliveries alike. Only http and https. Every
connection, including each redirect hop, goes through a network backend that
resolves the host itself, refuses the whole connection if ANY resolved
address is loopback, private, link-local (cloud metadata lives there),
shared, reserved or multicast (or an IPv6 address embedding such an IPv4
one: 6to4, NAT64, Teredo, IPv4-compatible), unless an operator allowlisted
its network, and then connects to the checked address, so DNS cannot answer differently
between the check and the connection. TLS still verifies the certificate
against the URL's host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NO_SUCH_NAME = frozenset({socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)})


class ForbiddenTargetError(Exception):
    """A URL that may not be reached; ``code`` is the problem code to answer with:
    ``url_forbidden``, ``url_unresolvable``, ``url_fetch_failed`` (the resolver
    failed) or ``validation_failed`` (not a URL at all)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class AddressPolicy:
    """Which addresses tenant-supplied URLs may connect to."""

    def __init__(self, allow: Sequence[IPNetwork] = ()) -> None:
        self._allow = tuple(allow)

    def allows(self, address: IPAddress) -> bool:
        embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # the same address, written as IPv6
        if any(address in network for network in self._allow):
            return True
        # An IPv6 address that carries an IPv4 one (6to4, NAT64, Teredo,
        # IPv4-compatible) reaches that address through a translator: both must pass.
        if embedded is not None and embedded != address and not self.allows(embedded):
            return False
        return address.is_global and not address.is_multicast

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """The host's addresses, all of them allowed, or :class:`ForbiddenTargetError`."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            # No such name is the URL's fault; a resolver that failed to answer is not.
            code = "url_unresolvable" if exc.errno in _NO_SUCH_NAME else "url_fetch_failed"
            raise ForbiddenTargetError(code, f"cannot resolve {host}: {exc.strerror}") from None
        except UnicodeError:  # a label IDNA cannot encode (empty, over 63 characters)
            raise ForbiddenTargetError("url_unresolvable", f"{host!r} is not a valid host name") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        refused = [a for a in addresses if not self.allows(a)]
        if refused or not addresses:
            raise ForbiddenTargetError("url_forbidden", f"{host} resolves to an address out of bounds ({refused[0]})")
        return addresses


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one is a way to reach, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64) or int(address) >> 32 == 0:  # NAT64, IPv4-compatible
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the policy allows."""

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
        raise ForbiddenTargetError("url_forbidden", "unix sockets may not be reached")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def check_url(url: str) -> tuple[str, int]:
    """The URL's host and port if it is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise ForbiddenTargetError("url_forbidden", "only http and https URLs are allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ForbiddenTargetError("validation_failed", "the URL's port is not a number") from None
    if not parts.hostname:
        raise ForbiddenTargetError("validation_failed", "the URL has no host")
    return parts.hostname, port
