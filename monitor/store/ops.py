"""Queries behind health, metrics, retention and backup: read-mostly, all SQL here."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import sqlite_utils

from monitor.store.db import iso

# Alerts still owed to someone: an item they point at must not be pruned.
OPEN_STATUSES = ("pending", "digest")


def connect(path: str | Path, busy_ms: int = 5000) -> sqlite_utils.Database:
    """A plain connection to an existing database (no migration, no creation)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no database at {p}")
    conn = sqlite3.connect(p, timeout=busy_ms / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    return sqlite_utils.Database(conn)


def write_probe(db: sqlite_utils.Database) -> None:
    """Take the write lock and give it back: proves the file is writable and not wedged."""
    conn = db.conn
    if conn.in_transaction:
        conn.commit()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("ROLLBACK")


def pending_count(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM alerts WHERE status = 'pending'").fetchone()[0])


def overdue_alerts(db: sqlite_utils.Database,
                   due_before: datetime) -> tuple[int, dict[str, object] | None]:
    """Pending alerts whose turn (created, or end of backoff) came before `due_before`."""
    cut = iso(due_before)
    where = "status = 'pending' AND COALESCE(next_attempt_at, created_at) < ?"
    count = int(db.execute(f"SELECT COUNT(*) FROM alerts WHERE {where}", [cut]).fetchone()[0])
    if not count:
        return 0, None
    rows = list(db.query(
        f"SELECT id, channel, target, created_at, attempts, last_error FROM alerts WHERE {where}"
        " ORDER BY COALESCE(next_attempt_at, created_at), id LIMIT 1", [cut]))
    return count, rows[0]


def sent_since(db: sqlite_utils.Database, since: str) -> list[tuple[int, str, float]]:
    """(alert id, sent_at, seconds from the item's first sighting) for item alerts sent."""
    return [(int(r[0]), str(r[1]), max(float(r[2] or 0.0), 0.0)) for r in db.execute(
        """SELECT a.id, a.sent_at, (julianday(a.sent_at) - julianday(i.first_seen)) * 86400
           FROM alerts a JOIN items i ON i.id = a.item_id
           WHERE a.kind = 'item' AND a.status = 'sent' AND a.ts IS NOT NULL
             AND a.sent_at >= ? ORDER BY a.sent_at, a.id""", [since]).fetchall()]


def prune(db: sqlite_utils.Database, before: datetime) -> tuple[int, int]:
    """Delete items first seen before `before` that no open alert or correction needs.

    Their finished alerts and sightings go with them; finished ops and digest
    messages older than `before` too.  Corrected items stay: they are training
    data.  One transaction (all or nothing); returns (items, alerts) deleted.
    """
    cut = iso(before)
    statuses = ",".join("?" * len(OPEN_STATUSES))
    doomed = f"""SELECT i.id FROM items i WHERE i.first_seen < ?
        AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.item_id = i.id
                        AND a.status IN ({statuses}))
        AND NOT EXISTS (SELECT 1 FROM corrections c WHERE c.item_id = i.id)"""
    args = [cut, *OPEN_STATUSES]
    conn = db.conn  # raw sqlite3: sqlite-utils' execute() would commit each DELETE alone
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS prune_ids (id TEXT PRIMARY KEY)")
    if conn.in_transaction:
        conn.commit()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM prune_ids")
        conn.execute(f"INSERT INTO prune_ids {doomed}", args)
        alerts = conn.execute("DELETE FROM alerts WHERE item_id IN (SELECT id FROM prune_ids)"
                              ).rowcount
        alerts += conn.execute(
            f"DELETE FROM alerts WHERE item_id IS NULL AND created_at < ?"
            f" AND status NOT IN ({statuses})", args).rowcount
        conn.execute("DELETE FROM item_sources WHERE item_id IN (SELECT id FROM prune_ids)")
        items = conn.execute("DELETE FROM items WHERE id IN (SELECT id FROM prune_ids)").rowcount
        conn.execute("DELETE FROM prune_ids")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return int(items), int(alerts)


def backup(source: str | Path, dest: str | Path) -> dict[str, int]:
    """Copy the database with SQLite's online backup API into `dest` (replaced atomically).

    The copy runs in one read transaction, so it is consistent even while
    `monitor run` writes (WAL lets the writer go on).  The copy is switched to
    rollback-journal mode: one self-contained file.  Returns row counts.
    """
    src_path, out = Path(source), Path(dest)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"copy failed its integrity check: {check}")
            counts = {t: int(dst.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                      for t in ("items", "alerts", "sources")}
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(out)
    return counts
