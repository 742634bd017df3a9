"""Read stored items for analysts: full-text search, rule tests and backtests.

Search narrows with SQL (the trigram FTS5 index, LIKE for terms shorter than
three characters, which trigrams cannot index, e.g. 稀土) and the caller then
applies the exact term rules of `monitor.rules` to what comes back: the SQL
part may return too much, never too little.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.rules.query import And, Node, Not, Or, Term
from monitor.rules.terms import is_cjk
from monitor.store.db import iso
from monitor.store.tx import transaction

TRIGRAM = 3  # the shortest substring the trigram index can find

_COLUMNS = ("i.id, i.source, i.title, i.summary, i.url, i.lang, i.published, i.first_seen,"
            " i.relevant, i.score, i.topic, i.item, i.jurisdiction, i.why, i.facts, i.story_id")


def has_index(db: sqlite_utils.Database) -> bool:
    return db.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'items_fts'").fetchone() is not None


def rebuild_index(db: sqlite_utils.Database) -> None:
    """Re-read every item into the index (after a restore or a VACUUM that moved rowids)."""
    if has_index(db):
        with transaction(db):
            db.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")
            db.execute("DELETE FROM search_backlog")


# Items per bulk insert: large enough to write few index segments, small enough that
# the write lock is free again within ~0.1 s (delivery records its posts meanwhile).
INDEX_CHUNK = 1000


def index_backlog(db: sqlite_utils.Database) -> int:
    """Add the items stored since the last call to the index, in bulk inserts.

    Called after each poll cycle; until then search finds those items through
    the backlog (see `_term_sql`).  Returns how many were indexed.
    """
    if not has_index(db):
        return 0
    done = 0
    while True:
        rows = [r[0] for r in db.execute("SELECT item_rowid FROM search_backlog"
                                         " ORDER BY item_rowid LIMIT ?", [INDEX_CHUNK])]
        if not rows:
            return done  # nothing waiting: no write, so a locked or read-only database is fine
        marks = ",".join("?" * len(rows))
        with transaction(db):
            db.execute("INSERT INTO items_fts(rowid, title, summary) SELECT rowid, title,"
                       f" COALESCE(summary, '') FROM items WHERE rowid IN ({marks})"
                       " ORDER BY rowid", rows)
            db.execute(f"DELETE FROM search_backlog WHERE item_rowid IN ({marks})", rows)
        done += len(rows)


def _like(word: str) -> tuple[str, list[Any]]:
    pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return ("(i.title LIKE ? ESCAPE '\\' OR COALESCE(i.summary, '') LIKE ? ESCAPE '\\')",
            [pattern, pattern])


def _term_sql(text: str, fts: bool) -> tuple[str, list[Any]] | None:
    words = [text.strip()] if is_cjk(text) else text.split()
    parts: list[tuple[str, list[Any]]] = []
    for w in words:
        if fts and len(w) >= TRIGRAM:
            # Items not indexed yet (the backlog) are kept: the exact rules decide.
            parts.append(("i.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)"
                          " OR i.rowid IN (SELECT item_rowid FROM search_backlog)",
                          ['"' + w.replace('"', '""') + '"']))
        elif w:
            parts.append(_like(w))
    return _join(parts, "AND")


def _join(parts: list[tuple[str, list[Any]]], op: str) -> tuple[str, list[Any]] | None:
    if not parts:
        return None
    sql = f" {op} ".join(f"({p})" for p, _ in parts)
    return sql, [a for _, args in parts for a in args]


def prefilter(node: Node, fts: bool) -> tuple[str, list[Any]] | None:
    """SQL that keeps every item `node` could match (None: no narrowing possible)."""
    if isinstance(node, Term):
        return _term_sql(node.text, fts)
    if isinstance(node, Not):
        return None  # "NOT x" holds for items the index cannot name; keep them all
    parts = [prefilter(c, fts) for c in node.operands]
    if isinstance(node, Or) and any(p is None for p in parts):
        return None
    assert isinstance(node, (And, Or))
    return _join([p for p in parts if p is not None], "AND" if isinstance(node, And) else "OR")


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("topic", "item", "jurisdiction", "why"):
        row[key] = json.loads(row.get(key) or "[]")
    row["facts"] = json.loads(row.get("facts") or "{}")
    row["relevant"] = bool(row["relevant"])
    return row


def candidates(db: sqlite_utils.Database, node: Node | None,
               since: datetime | None) -> list[dict[str, Any]]:
    """Items first seen after `since` that `node` may match, newest first."""
    where, args = ["1"], []
    if since is not None:
        where.append("i.first_seen >= ?")
        args.append(iso(since))
    narrowed = prefilter(node, has_index(db)) if node is not None else None
    if narrowed is not None:
        where.append(narrowed[0])
        args.extend(narrowed[1])
    sql = (f"SELECT {_COLUMNS} FROM items i WHERE {' AND '.join(where)}"
           " ORDER BY COALESCE(i.published, i.first_seen) DESC, i.first_seen DESC")
    return [_decode(r) for r in db.query(sql, args)]
