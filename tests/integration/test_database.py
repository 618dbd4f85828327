"""The service's Postgres pool on shutdown."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from reelforge_common.db import Database
from reelforge_common.settings import ServiceSettings


async def test_closing_with_a_connection_still_held_terminates_instead_of_hanging(
    settings: ServiceSettings,
) -> None:
    db = await Database.connect(settings.database_url.get_secret_value(), schema=settings.database_schema, max_size=2)
    held = await db.pool.acquire()  # work that outlived the shutdown grace
    await asyncio.wait_for(db.close(timeout_s=0.5), 5)
    assert db.pool.is_closing()
    with pytest.raises(asyncpg.InterfaceError):
        await held.fetchval("SELECT 1")  # terminated with the pool
