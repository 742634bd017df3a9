"""`transaction`: really atomic, really exclusive, and migrations that fail leave no trace."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from monitor.errors import DatabaseBusy, StoreError
from monitor.store import open_db
from monitor.store import schema as schema_mod
from monitor.store.tx import WriteTurns, store_error, transaction, write_turns


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


def test_write_turns_go_to_the_longest_waiting_thread() -> None:
    turns = WriteTurns()
    order: list[str] = []
    assert turns.acquire()

    def writer(name: str) -> None:
        turns.acquire()
        order.append(name)
        turns.release()

    waiting = []
    for name in ("first", "second"):
        thread = threading.Thread(target=writer, args=(name,))
        thread.start()
        waiting.append(thread)
        while len(turns._queue) < len(waiting):  # queued, in this order
            time.sleep(0.001)
    turns.release()
    for thread in waiting:
        thread.join(timeout=30)
    assert order == ["first", "second"]


def test_a_thread_holding_a_turn_does_not_wait_for_itself() -> None:
    turns = WriteTurns()
    assert turns.acquire()
    assert not turns.acquire()  # a second connection in the same thread: SQLite decides
    turns.release()
    assert turns.acquire()


def test_a_waiting_writer_gets_in_between_a_busy_writers_transactions(tmp_path: Path) -> None:
    # The ingest thread commits one poll after another; delivery must not wait for all.
    busy_db, other_db = open_db(tmp_path / "m.db"), open_db(tmp_path / "m.db")
    assert write_turns(busy_db) is write_turns(other_db)  # one file, one queue
    done = 0
    started = threading.Event()
    stop = threading.Event()

    def busy() -> None:
        nonlocal done
        local = open_db(tmp_path / "m.db")
        while not stop.is_set():
            with transaction(local):
                local.execute("INSERT INTO sources (name, url) VALUES (?, 'http://a')",
                              [f"s{done}"])
                started.set()
                time.sleep(0.005)
            done += 1

    thread = threading.Thread(target=busy)
    thread.start()
    try:
        assert started.wait(30)
        before = done
        with transaction(other_db):
            waited = done - before
        assert waited <= 1  # at most the transaction that was running when we asked
    finally:
        stop.set()
        thread.join(timeout=30)
