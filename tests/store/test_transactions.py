"""`transaction`: really atomic, really exclusive, and migrations that fail leave no trace."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.errors import DatabaseBusy, StoreError
from monitor.store import open_db
from monitor.store import schema as schema_mod
from monitor.store.tx import store_error, transaction


def test_an_error_rolls_back_every_write_of_the_unit(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    assert db.conn.isolation_level == ""  # legacy mode: sqlite-utils commits each execute alone
    with pytest.raises(RuntimeError), transaction(db):
        db.execute("INSERT INTO sources (name, url) VALUES ('a', 'http://a')")
        db.execute("INSERT INTO sources (name, url) VALUES ('b', 'http://b')")
        assert db.conn.in_transaction
        raise RuntimeError("boom")
    assert not db.conn.in_transaction
    other = sqlite3.connect(tmp_path / "m.db")
    assert other.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == 0


def test_nested_block_is_a_savepoint(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    with transaction(db):
        db.execute("INSERT INTO sources (name, url) VALUES ('kept', 'http://a')")
        with pytest.raises(ValueError), transaction(db):
            db.execute("INSERT INTO sources (name, url) VALUES ('dropped', 'http://b')")
            raise ValueError
        assert db.conn.in_transaction  # the inner failure did not end the outer unit
    assert [r[0] for r in db.execute("SELECT name FROM sources")] == ["kept"]


def test_transaction_holds_the_write_lock_from_the_start(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    other = sqlite3.connect(tmp_path / "m.db", timeout=0, isolation_level=None)
    with transaction(db):
        db.execute("SELECT 1").fetchone()  # no write yet: IMMEDIATE locks anyway
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")


def test_sqlite_errors_become_store_errors_naming_the_file(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    db.execute("PRAGMA busy_timeout = 50")
    holder = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseBusy) as info, transaction(db):
        pass
    holder.execute("ROLLBACK")
    assert str(tmp_path / "m.db") in str(info.value)
    assert "\n" not in str(info.value)
    full = store_error(sqlite3.OperationalError("database or disk is full"), "x.db")
    assert type(full).__name__ == "DatabaseFull" and str(full).startswith("x.db: disk full")
    ro = store_error(sqlite3.OperationalError("attempt to write a readonly database"), "x.db")
    assert type(ro).__name__ == "DatabaseReadOnly"


def test_a_failing_migration_leaves_the_schema_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_db(tmp_path / "m.db")

    def broken(db: object) -> None:
        db.executescript(  # type: ignore[attr-defined]
            "CREATE TABLE half_done (x); ALTER TABLE alerts ADD COLUMN half TEXT;"
            " INSERT INTO no_such_table VALUES (1);")

    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*schema_mod.MIGRATIONS, broken])
    with pytest.raises(StoreError):
        open_db(tmp_path / "m.db")
    conn = sqlite3.connect(tmp_path / "m.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    columns = {r[1] for r in conn.execute("PRAGMA table_info(alerts)")}
    version = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
    assert "half_done" not in tables and "half" not in columns
    assert version == len(schema_mod.MIGRATIONS) - 1


def test_stored_apprise_urls_are_replaced_by_references(tmp_path: Path) -> None:
    from monitor.secrets import target_ref

    url = "json://user:hunter2secret@hooks.example/x"
    db = open_db(tmp_path / "m.db")
    db.execute("INSERT INTO alerts (channel, reason, created_at, kind, target) VALUES"
               " ('#c', 'ops', '2026-01-01T00:00:00Z', 'ops', ?)", [url])
    with transaction(db):  # as on a database written before the migration
        schema_mod._m007_apprise_targets_by_reference(db)
    assert [r[0] for r in db.execute("SELECT target FROM alerts")] == [target_ref(url)]
