"""An asyncpg pool bound to one service's schema."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from importlib.resources.abc import Traversable

import asyncpg

from reelforge_common.db.connection import Connection
from reelforge_common.db.migrate import apply_migrations, load_migrations

log = logging.getLogger(__name__)
# 56 characters at most: the outbox's NOTIFY channel "<schema>_outbox" must
# fit Postgres's 63-byte identifiers.
_SCHEMA = re.compile(r"^[a-z][a-z0-9_]{0,55}$")
# asyncpg's own default for opening a connection.
_CONNECT_TIMEOUT_S = 60.0


class Database:
    """The service's pool. Every connection's ``search_path`` is the service's
    own schema, so its SQL never names (or reaches) another service's tables."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    @classmethod
    async def connect(
        cls,
        dsn: str,
        *,
        schema: str,
        max_size: int = 10,
        application_name: str = "reelforge",
        wait_s: float = 30.0,
        timeout_s: float | None = None,
    ) -> Database:
        """Open the pool, waiting up to ``wait_s`` for Postgres to accept
        connections. With ``timeout_s``, a statement or a new connection that
        takes longer raises ``TimeoutError`` (an outage: a silent network
        never answers), instead of waiting for ever."""
        if not _SCHEMA.match(schema):
            raise ValueError(f"invalid schema name: {schema!r}")
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:
            try:
                pool = await asyncpg.create_pool(
                    dsn,
                    min_size=1,
                    max_size=max_size,
                    command_timeout=timeout_s,
                    timeout=min(timeout_s, _CONNECT_TIMEOUT_S) if timeout_s else _CONNECT_TIMEOUT_S,
                    server_settings={"search_path": schema, "application_name": application_name},
                )
                return cls(pool, schema)
            except (OSError, asyncpg.CannotConnectNowError) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                log.warning("waiting for postgres: %s", exc)
                await asyncio.sleep(0.5)

    async def migrate(self, service: str, migrations: Traversable | None) -> list[str]:
        """Apply the shared outbox/inbox tables, then the service's own migrations."""
        components = {"common": load_migrations(files("reelforge_common.db") / "migrations")}
        if migrations is not None:
            components[service] = load_migrations(migrations)
        async with self.pool.acquire() as conn:
            applied = await apply_migrations(conn, schema=self.schema, components=components)
        if applied:
            log.info("migrations applied", extra={"schema": self.schema, "applied": applied})
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def close(self, timeout_s: float = 10.0) -> None:
        """Close the pool once its connections are released; after
        ``timeout_s`` (a connection still held by work that outlived the
        shutdown grace) terminate them, so a stop never hangs."""
        try:
            await asyncio.wait_for(self.pool.close(), timeout_s)
        except TimeoutError:
            log.warning("connections still in use after %.0f s: terminating the pool", timeout_s)
            self.pool.terminate()
