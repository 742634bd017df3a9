"""The two rules every database write follows.

A unit of work is one explicit transaction (`transaction`), and a sqlite3
error leaves the store as a `StoreError` that names the database file and the
cause (`store_errors`): locked by another writer, disk full, read-only.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
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


class WriteTurns:
    """Writers of one database file in this process take turns, first come first served.

    SQLite's busy handler waits by sleeping and retrying, so a thread that commits
    often (the ingest thread, one poll after another) takes the lock again before a
    sleeping one (delivery) wakes: posting stalled for the whole of a big poll.  Here
    the turn passes straight to the longest-waiting thread.  Other processes still
    meet the lock through busy_timeout.  A thread that already holds a turn (a second
    connection in the same thread: tests, tools) does not wait for itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[threading.Lock] = deque()
        self._owner: int | None = None

    def acquire(self) -> bool:
        """Wait for this thread's turn; False if it already has one (nothing to release)."""
        me = threading.get_ident()
        with self._lock:
            if self._owner == me:
                return False
            if self._owner is None:
                self._owner = me
                return True
            handoff = threading.Lock()
            handoff.acquire()
            self._queue.append(handoff)
        handoff.acquire()  # released by `release`: the turn is ours
        with self._lock:
            self._owner = me
        return True

    def release(self) -> None:
        with self._lock:
            if self._queue:
                self._owner = -1  # owned by the woken thread, which sets its id
                self._queue.popleft().release()
            else:
                self._owner = None


_turns: dict[str, WriteTurns] = {}
_turns_by_db: weakref.WeakKeyDictionary[sqlite_utils.Database, WriteTurns] = (
    weakref.WeakKeyDictionary())
_turns_lock = threading.Lock()


def write_turns(db: sqlite_utils.Database) -> WriteTurns:
    """The turns of `db`'s file, shared by every connection to it in this process."""
    turns = _turns_by_db.get(db)
    if turns is None:
        path = db_path(db)
        key = os.path.realpath(path) if path not in (":memory:", "", "the database") else (
            f"{path}:{id(db)}")
        with _turns_lock:
            turns = _turns.setdefault(key, WriteTurns())
        _turns_by_db[db] = turns
    return turns


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
    turns = write_turns(db)
    mine = turns.acquire()
    try:
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
    finally:
        if mine:
            turns.release()


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
