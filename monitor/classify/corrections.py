"""Analyst corrections in the database: record one, or read them all back for training.

A correction row may leave topic/item/jurisdiction NULL, meaning "keep what the
model said"; reading them back fills those from the stored item.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import StoreError
from monitor.store.schema import migrate


def _open(db_path: str | os.PathLike[str], create: bool) -> sqlite_utils.Database:
    p = Path(db_path)
    if not create and not p.is_file():
        raise StoreError(f"{p}: database not found")
    try:
        db = sqlite_utils.Database(p)
        migrate(db)
    except StoreError:
        raise
    except Exception as e:  # sqlite3.DatabaseError and friends: the file is unusable
        raise StoreError(f"{p}: cannot open database: {e}") from e
    return db


def _list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value] if value else []
    return [str(v) for v in value] if isinstance(value, list) else None


def record_correction(db_path: str | os.PathLike[str], item_id: str, relevant: bool,
                      topic: list[str] | None = None, item: list[str] | None = None,
                      jurisdiction: list[str] | None = None, note: str | None = None) -> int:
    """Store one correction; StoreError when `item_id` is not a stored item.  Returns the row id."""
    db = _open(db_path, create=True)
    row = db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise StoreError(f"no item with id {item_id!r} in {db_path}; "
                         "`monitor log --json` lists stored item ids")
    def enc(v: list[str] | None) -> str | None:
        return None if v is None else json.dumps(sorted(v))

    with db.conn:
        cur = db.execute(
            "INSERT INTO corrections (item_id, relevant, topic, item, jurisdiction, note, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [item_id, int(bool(relevant)), enc(topic), enc(item), enc(jurisdiction), note,
             datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        )
    return int(cur.lastrowid or 0)


def load_corrections(db_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Latest correction per item, joined to its text, in the eval record format."""
    db = _open(db_path, create=False)
    rows = db.execute(
        """
        SELECT c.item_id, c.relevant, c.topic, c.item, c.jurisdiction, c.note,
               i.title, i.summary, i.lang, i.topic, i.item, i.jurisdiction
        FROM corrections c JOIN items i ON i.id = c.item_id
        WHERE c.id = (SELECT MAX(c2.id) FROM corrections c2 WHERE c2.item_id = c.item_id)
        ORDER BY c.item_id
        """
    ).fetchall()
    out: list[dict[str, Any]] = []
    for (item_id, relevant, c_topic, c_item, c_jur, note,
         title, summary, lang, i_topic, i_item, i_jur) in rows:
        rel = bool(relevant)
        def pick(c: Any, i: Any) -> list[str]:  # the correction's labels, else the item's
            return (_list(c) if c is not None else _list(i)) or []

        out.append({
            "id": f"correction:{item_id}", "item_id": item_id, "title": title or "",
            "text": summary or "", "lang": lang, "relevant": rel,
            "topic": pick(c_topic, i_topic) if rel else [],
            "item": pick(c_item, i_item) if rel else [],
            "jurisdiction": pick(c_jur, i_jur) if rel else [],
            "note": note, "story": f"correction:{item_id}",
        })
    return out
