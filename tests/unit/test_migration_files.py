from pathlib import Path

import pytest

from reelforge_common.db.migrate import MigrationError, load_migrations


def test_migrations_load_in_version_order(tmp_path: Path) -> None:
    (tmp_path / "0002_second.sql").write_text("SELECT 2;")
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "README.md").write_text("not a migration")
    assert [(m.version, m.name) for m in load_migrations(tmp_path)] == [(1, "first"), (2, "second")]


def test_two_migrations_with_one_version_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="duplicate"):
        load_migrations(tmp_path)


def test_checksum_changes_with_the_sql(tmp_path: Path) -> None:
    path = tmp_path / "0001_a.sql"
    path.write_text("SELECT 1;")
    before = load_migrations(tmp_path)[0].checksum
    path.write_text("SELECT 2;")
    assert load_migrations(tmp_path)[0].checksum != before
