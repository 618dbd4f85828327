"""The connection types the database helpers accept."""

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A plain connection, or one handed out by the pool (acquire, transaction).
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
# Where a single statement may run: a connection (inside a transaction, say) or the pool.
Executor: TypeAlias = "Connection | asyncpg.Pool[asyncpg.Record]"
