"""Migrations under concurrency and change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import start_script, wait_for

from reelforge_common.db import Database
from reelforge_common.db.migrate import MigrationError

# Not idempotent on purpose: applied twice, it fails (duplicate table) and
# the counter shows it.
_SLOW_MIGRATION = """
CREATE TABLE applied_counter (n integer NOT NULL);
SELECT pg_sleep(0.5);
INSERT INTO applied_counter VALUES (1);
"""


async def test_migrations_started_by_two_processes_at_once_apply_once(
    db: Database, child_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "0001_counter.sql").write_text(_SLOW_MIGRATION)
    (tmp_path / "0002_more.sql").write_text("ALTER TABLE applied_counter ADD COLUMN note text;")
    # Hold the migration lock until both children wait on it, so they really
    # race for it when it is released.
    lock_key = f"reelforge.migrate.{db.schema}"
    async with db.pool.acquire() as holder:
        await holder.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", lock_key)
        children = [await start_script("migrate", child_env, str(tmp_path)) for _ in range(2)]

        async def both_waiting() -> bool:
            waiting = await db.pool.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND objid = (hashtextextended($1, 0) & 4294967295)::oid",
                lock_key,
            )
            return bool(waiting == 2)

        await wait_for(both_waiting, what="both migrators to wait for the lock")
        await holder.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", lock_key)
    outputs = [(await child.communicate())[0].decode() for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs

    applied_by = [line for out in outputs for line in out.splitlines() if line.startswith("applied=")]
    assert sorted(applied_by) == ["applied=", "applied=common/0001_outbox_inbox,svc/0001_counter,svc/0002_more"]
    assert await db.pool.fetchval("SELECT count(*) FROM applied_counter") == 1
    rows = await db.pool.fetch("SELECT component, version FROM schema_migrations ORDER BY 1, 2")
    assert [tuple(r) for r in rows] == [("common", 1), ("svc", 1), ("svc", 2)]


async def test_editing_an_applied_migration_is_refused(db: Database, tmp_path: Path) -> None:
    migration = tmp_path / "0001_t.sql"
    migration.write_text("CREATE TABLE t (id int);")
    assert await db.migrate("svc", tmp_path) == ["common/0001_outbox_inbox", "svc/0001_t"]
    assert await db.migrate("svc", tmp_path) == []
    migration.write_text("CREATE TABLE t (id bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await db.migrate("svc", tmp_path)


async def test_badly_named_migration_file_is_refused(db: Database, tmp_path: Path) -> None:
    (tmp_path / "create_things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        await db.migrate("svc", tmp_path)


async def test_the_migrate_command_applies_a_services_schema_and_exits(db: Database, child_env: dict[str, str]) -> None:
    """What a Kubernetes migration Job runs before the Deployment rolls."""
    script = str(Path(sys.executable).parent / "reelforge-notify")
    first = subprocess.run([script, "migrate"], env=child_env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    tables = await db.pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", db.schema)
    assert {"endpoints", "deliveries", "outbox", "inbox"} <= {row["tablename"] for row in tables}
    applied = await db.pool.fetchval("SELECT count(*) FROM schema_migrations WHERE component = 'notify'")
    assert applied >= 1

    again = subprocess.run([script, "migrate"], env=child_env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert await db.pool.fetchval("SELECT count(*) FROM schema_migrations WHERE component = 'notify'") == applied

    unknown = subprocess.run([script, "upgrade"], env=child_env, capture_output=True, text=True, timeout=60)
    assert unknown.returncode != 0
    assert "usage: reelforge-notify [serve|migrate]" in unknown.stderr
