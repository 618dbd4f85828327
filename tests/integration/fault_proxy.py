"""A small asyncio TCP proxy that injects network faults (toxiproxy is not
installable here).

Put it between a client and one upstream (NATS, Postgres, S3) by giving the
client :attr:`FaultProxy.address` instead of the upstream's. Faults switch
at run time:

* ``latency_ms``: each chunk waits this long before it is forwarded, both ways;
* :meth:`reset` closes every open connection with a TCP RST (``SO_LINGER`` 0);
  ``reset_new`` does the same to each connection as it is accepted;
* ``blackhole``: bytes are read and dropped, both ways, on open and new
  connections; a connection that was blackholed stays silent after
  :meth:`heal`, as after a network partition (the client must notice it
  itself, by pings or timeouts, or be :meth:`reset`); new ones work;
* :meth:`go_down` stops listening (connections are refused) and resets open
  connections; :meth:`come_up` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

_CHUNK = 64 * 1024


@dataclass(eq=False)  # hashed by identity: links live in a set
class _Link:
    """One client connection and its upstream connection."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    pumps: list[asyncio.Task[None]] = field(default_factory=list)
    dead: bool = False  # blackholed once: forwards nothing, ever

    def reset(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is not None:
                _rst(writer)


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with RST instead of FIN: the peer sees ``ECONNRESET``."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """Forwards ``127.0.0.1:<port>`` to ``upstream_host:upstream_port``."""

    def __init__(self, upstream_host: str, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.port = 0
        self.latency_ms = 0.0
        self.reset_new = False
        self.blackhole = False
        self.accepted = 0
        self.resets = 0
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()

    @classmethod
    def to(cls, address: str) -> FaultProxy:
        """A proxy to ``host:port`` (a ``scheme://`` prefix and a path are ignored)."""
        netloc = address.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
        host, _, port = netloc.rpartition(":")
        return cls(host, int(port))

    @property
    def address(self) -> str:
        """``host:port`` to give clients instead of the upstream's."""
        return f"{self.host}:{self.port}"

    def url(self, original: str) -> str:
        """``original`` (a URL or ``host:port`` naming the upstream) pointed at the proxy."""
        return original.replace(f"{self.upstream[0]}:{self.upstream[1]}", self.address, 1)

    async def start(self) -> FaultProxy:
        """Listen (on a free port the first time, the same port afterwards)."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def reset(self) -> int:
        """RST every open connection now; returns how many there were."""
        links = list(self._links)
        for link in links:
            link.reset()
        self.resets += len(links)
        return len(links)

    async def go_down(self) -> None:
        """Refuse new connections and reset the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.reset()

    async def come_up(self) -> None:
        """Listen again, on the same port."""
        if self._server is None:
            await self.start()

    def heal(self) -> None:
        """No latency, resets or blackhole for new connections (blackholed
        ones stay silent: see the module's docstring)."""
        self.latency_ms = 0.0
        self.reset_new = False
        self.blackhole = False

    async def stop(self) -> None:
        await self.go_down()
        pumps = [pump for link in list(self._links) for pump in link.pumps]
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        link = _Link(client=writer)
        if self.reset_new:
            self.resets += 1
            link.reset()
            return
        self._links.add(link)
        try:
            if self.blackhole:  # accept and swallow; never reach the upstream
                link.dead = True
                await self._pump(link, reader, None)
                return
            try:
                up_reader, link.upstream = await asyncio.open_connection(*self.upstream)
            except OSError:
                link.reset()
                return
            link.pumps = [
                asyncio.create_task(self._pump(link, reader, link.upstream)),
                asyncio.create_task(self._pump(link, up_reader, writer)),
            ]
            await asyncio.wait(link.pumps, return_when=asyncio.FIRST_COMPLETED)
            for writer_ in (link.client, link.upstream):  # one side ended: end the other too
                writer_.close()
            await asyncio.gather(*link.pumps, return_exceptions=True)
        finally:
            self._links.discard(link)

    async def _pump(self, link: _Link, source: asyncio.StreamReader, target: asyncio.StreamWriter | None) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while chunk := await source.read(_CHUNK):
                if self.latency_ms:
                    await asyncio.sleep(self.latency_ms / 1000)
                link.dead = link.dead or self.blackhole
                if link.dead or target is None:
                    continue
                target.write(chunk)
                await target.drain()
