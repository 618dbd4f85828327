"""The pose service's SQL, one module per table family."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

from reelforge_common.db.connection import Connection

Db: TypeAlias = "Connection | asyncpg.Pool"


def lock_clause(lock: bool) -> str:
    return " FOR UPDATE" if lock else ""
