"""The two rules every database write follows.

A unit of work is one explicit transaction (`transaction`), and a sqlite3
error leaves the store as a `StoreError` that names the database file and the
cause (`store_errors`): locked by another writer, disk full, read-only.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import sqlite_utils

from monitor.errors import DatabaseBusy, DatabaseFull, DatabaseReadOnly, StoreError

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
_savepoints = itertools.count(1)
# Primary result codes (extended codes carry them in the low byte).
_BUSY, _LOCKED, _READONLY, _FULL = 5, 6, 8, 13


def db_path(db: sqlite_utils.Database) -> str:
    """The file behind `db`, for messages; never raises."""
    try:
        for _seq, name, file in db.conn.execute("PRAGMA database_list").fetchall():
            if name == "main":
                return str(file) or ":memory:"
    except sqlite3.Error:
        pass
    return "the database"


def store_error(e: sqlite3.Error, where: str) -> StoreError:
    """The sqlite3 error as the StoreError an operator can act on, in one line."""
    code = (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
    text = " ".join(str(e).split()) or type(e).__name__
    low = text.lower()
    if code in (_BUSY, _LOCKED) or "locked" in low or "busy" in low:
        return DatabaseBusy(f"{where}: database is locked by another writer "
                            f"(waited {BUSY_TIMEOUT_MS // 1000}s): {text}")
    if code == _FULL or "full" in low:
        return DatabaseFull(f"{where}: disk full, writes fail until space is freed: {text}")
    if code == _READONLY or "readonly" in low or "read-only" in low:
        return DatabaseReadOnly(f"{where}: database is read-only (file, directory or mount): "
                                f"{text}")
    return StoreError(f"{where}: {text}")


@contextmanager
def store_errors(db: sqlite_utils.Database) -> Iterator[None]:
    """Turn any sqlite3 error raised inside into a StoreError naming the file."""
    try:
        yield
    except sqlite3.Error as e:
        raise store_error(e, db_path(db)) from e


def _forget_story_postings(db: sqlite_utils.Database) -> None:
    """The story index's memory may name rows that are being rolled back."""
    from monitor.store import story_index  # here: story_index imports the store's helpers

    story_index.forget(db)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One unit of work: `BEGIN IMMEDIATE` … `COMMIT`, rolled back on any exception.

    IMMEDIATE takes the write lock up front, so two writers queue on
    busy_timeout instead of failing half-way with SQLITE_BUSY on their first
    write.  Nested use becomes a savepoint: the inner block can fail alone.
    Never call `conn.commit()` or `with db.conn:` inside: either would end the
    outer transaction early (sqlite-utils itself joins an open transaction).
    """
    conn = db.conn
    if conn.in_transaction:
        name = f"monitor_sp{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield db
        except BaseException:
            _forget_story_postings(db)
            if conn.in_transaction:  # a RAISE(ROLLBACK) trigger may have ended it already
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    with store_errors(db):
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
            conn.execute("COMMIT")
        except BaseException:
            _forget_story_postings(db)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def retrying(write: Callable[[], T], waits: tuple[float, ...] = (0.5, 1.0, 2.0),
             sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `write`, again after each wait while the database is locked or full.

    For the writes that must not be lost once something happened outside
    (a message posted): a short fault should cost a pause, not a duplicate.
    """
    for wait in waits:
        try:
            return write()
        except (DatabaseBusy, DatabaseFull) as e:
            log.warning("%s; retrying in %gs", e, wait)
            sleep(wait)
    return write()
