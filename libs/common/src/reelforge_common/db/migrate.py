"""Versioned SQL migrations, applied once under an advisory lock.

Files are named ``NNNN_description.sql`` and applied in order, each in its own
transaction, inside the service's schema. The advisory lock makes replicas
that start together apply each migration exactly once; a checksum catches an
applied migration that was edited afterwards.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from reelforge_common.db.connection import Connection

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_MIGRATION_TIMEOUT_S = 3600.0


class MigrationError(RuntimeError):
    """Migrations cannot be applied as they stand."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Traversable) -> list[Migration]:
    """Every ``NNNN_name.sql`` in ``directory``, in version order."""
    found: list[Migration] = []
    for entry in directory.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
        elif entry.name.endswith(".sql"):
            raise MigrationError(f"migration file name must be NNNN_name.sql: {entry.name}")
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {directory}")
    return found


async def apply_migrations(conn: Connection, *, schema: str, components: dict[str, list[Migration]]) -> list[str]:
    """Apply what is pending for each component (``"common"``, the service)
    in ``schema``; returns the names applied, e.g. ``["gateway/0001_jobs"]``."""
    applied_now: list[str] = []
    lock_key = f"reelforge.migrate.{schema}"
    # Waiting for another replica's migrations, or one long migration, may
    # outlast the pool's statement timeout (REELFORGE_DATABASE_TIMEOUT_S).
    await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", lock_key, timeout=_MIGRATION_TIMEOUT_S)
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations (
                component text NOT NULL,
                version integer NOT NULL,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (component, version))"""
        )
        rows = await conn.fetch(f'SELECT component, version, name, checksum FROM "{schema}".schema_migrations')
        done = {(r["component"], r["version"]): r for r in rows}
        for component, migrations in components.items():
            for migration in migrations:
                previous = done.get((component, migration.version))
                if previous is not None:
                    if previous["checksum"] != migration.checksum:
                        raise MigrationError(
                            f"{component}/{migration.version:04d}_{migration.name} changed after it was applied"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(f'SET LOCAL search_path TO "{schema}"')
                    await conn.execute(migration.sql, timeout=_MIGRATION_TIMEOUT_S)
                    await conn.execute(
                        f'INSERT INTO "{schema}".schema_migrations (component, version, name, checksum) '
                        "VALUES ($1, $2, $3, $4)",
                        component,
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                applied_now.append(f"{component}/{migration.version:04d}_{migration.name}")
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", lock_key)
    return applied_now
