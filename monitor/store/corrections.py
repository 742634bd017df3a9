"""Corrections from Slack clicks: record them once, read them back for alerts, log and report.

One row per (item, Slack user): a later click by the same analyst replaces the
earlier row (delete + insert, so row ids keep the order in which judgements were
made, which is what training's "latest per item" reads).  Corrections typed with
`monitor label` have no Slack user and are kept as they are.

`record_correction` / `load_corrections` take a database path (the `monitor label`
and training entry points have no open connection).  A typed correction may leave
topic/item/jurisdiction NULL, meaning "keep what the model said"; reading them back
fills those from the stored item.  Training receives the records as data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import StoreError
from monitor.store.db import iso
from monitor.store.schema import migrate

ENVELOPE_MEMORY = timedelta(days=2)  # Slack redelivers within minutes; keep a margin


@dataclass(frozen=True)
class Mark:
    """One analyst's judgement of an item, as shown on the alert."""

    user: str
    relevant: bool
    topic: list[str] | None
    created_at: str


@dataclass(frozen=True)
class Recorded:
    status: str  # recorded | duplicate | unknown_item
    marks: list[Mark]


def _topics(value: object) -> list[str] | None:
    if value is None:
        return None
    try:
        got = json.loads(str(value))
    except ValueError:
        return None
    return [str(t) for t in got] if isinstance(got, list) else None


def marks(db: sqlite_utils.Database, item_id: str) -> list[Mark]:
    """Every Slack user's current mark on an item, oldest first."""
    return [Mark(str(r[0]), bool(r[1]), _topics(r[2]), str(r[3])) for r in db.execute(
        "SELECT slack_user, relevant, topic, created_at FROM corrections"
        " WHERE item_id = ? AND slack_user IS NOT NULL ORDER BY id", [item_id]).fetchall()]


def record_click(db: sqlite_utils.Database, *, envelope_id: str | None, item_id: str, user: str,
                 relevant: bool | None, topic: str | None, now: datetime,
                 channel_id: str | None = None, message_ts: str | None = None,
                 user_name: str | None = None) -> Recorded:
    """Record one click in one transaction.

    `relevant=None` with a `topic` is a topic correction (which implies relevant).
    A "Relevant" click keeps a topic the same user chose before; "Not relevant"
    clears labels (an irrelevant item has none).
    """
    with db.conn:
        if envelope_id:
            seen = db.execute("INSERT OR IGNORE INTO feedback_envelopes VALUES (?, ?)",
                              [envelope_id, iso(now)])
            if seen.rowcount == 0:
                return Recorded("duplicate", [])
            db.execute("DELETE FROM feedback_envelopes WHERE received_at < ?",
                       [iso(now - ENVELOPE_MEMORY)])
        if db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone() is None:
            return Recorded("unknown_item", [])
        prev = db.execute("SELECT relevant, topic FROM corrections WHERE item_id = ?"
                          " AND slack_user = ?", [item_id, user]).fetchone()
        topics: list[str] | None
        if topic is not None:
            is_relevant, topics = True, [topic]
        elif relevant:
            is_relevant = True
            topics = _topics(prev[1]) if prev is not None and prev[0] else None
        else:
            is_relevant, topics = False, None
        db.execute("DELETE FROM corrections WHERE item_id = ? AND slack_user = ?",
                   [item_id, user])
        db.execute(
            "INSERT INTO corrections (item_id, relevant, topic, note, created_at, slack_user,"
            " slack_user_name, origin, channel_id, message_ts)"
            " VALUES (?, ?, ?, NULL, ?, ?, ?, 'slack', ?, ?)",
            [item_id, int(is_relevant), json.dumps(topics) if topics is not None else None,
             iso(now), user, user_name, channel_id, message_ts])
    return Recorded("recorded", marks(db, item_id))


def summaries(db: sqlite_utils.Database, item_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per item: how many judged it relevant / not relevant, and the latest verdict."""
    ids = sorted({i for i in item_ids if i})
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start:start + 500]
        marks_ = ",".join("?" * len(chunk))
        for item_id, relevant, topic, user, created in db.execute(
                f"SELECT item_id, relevant, topic, slack_user, created_at FROM corrections"
                f" WHERE item_id IN ({marks_}) ORDER BY id", chunk).fetchall():
            s = out.setdefault(str(item_id), {"relevant": 0, "not_relevant": 0, "latest": None})
            s["relevant" if relevant else "not_relevant"] += 1
            s["latest"] = {"relevant": bool(relevant), "topic": _topics(topic),
                           "by": user, "at": created}
    return out


def for_alerts(db: sqlite_utils.Database, alert_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """`summaries` keyed by alert id (for `monitor log`); alerts without feedback are absent."""
    ids = sorted(set(alert_ids))
    pairs: list[tuple[int, str]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        pairs += [(int(r[0]), str(r[1])) for r in db.execute(
            f"SELECT id, item_id FROM alerts WHERE item_id IS NOT NULL"
            f" AND id IN ({','.join('?' * len(chunk))})", chunk).fetchall()]
    per_item = summaries(db, [item for _, item in pairs])
    return {alert: per_item[item] for alert, item in pairs if item in per_item}


def count_since(db: sqlite_utils.Database, since: str | None) -> int:
    """Corrections (any origin) recorded after `since` (ISO), or all of them."""
    row = db.execute("SELECT COUNT(*) FROM corrections WHERE created_at > ?",
                     [since or ""]).fetchone()
    return int(row[0])


def weekly_feedback(db: sqlite_utils.Database, since: datetime | None = None,
                    until: datetime | None = None) -> list[dict[str, Any]]:
    """Corrections per week (Monday's date, from the correction's time) and precision as
    the analysts see it.

    Each (item, week) counts once, with its latest verdict, so two analysts agreeing
    do not double an item.  precision = relevant / (relevant + not relevant) among
    the judged items; None for a week with none.  For `monitor report`.
    """
    rows = db.execute(
        """
        SELECT date(c.created_at, 'weekday 0', '-6 days') AS week, c.item_id, c.relevant, c.topic,
               a.item_id IS NOT NULL AS alerted
        FROM corrections c
        LEFT JOIN (SELECT DISTINCT item_id FROM alerts WHERE item_id IS NOT NULL) a
               ON a.item_id = c.item_id
        WHERE c.created_at >= ? AND c.created_at <= ?
        ORDER BY c.id
        """, [iso(since) or "", iso(until) or "9999"]).fetchall()
    latest: dict[tuple[str, str], tuple[bool, bool, bool]] = {}
    marks_per_week: dict[str, int] = {}
    for week, item_id, relevant, topic, alerted in rows:
        latest[(week, item_id)] = (bool(relevant), topic is not None, bool(alerted))
        marks_per_week[week] = marks_per_week.get(week, 0) + 1
    out: dict[str, dict[str, Any]] = {}
    for (week, _), (relevant, relabelled, alerted) in sorted(latest.items()):
        w = out.setdefault(week, {"week": week, "corrections": marks_per_week[week], "items": 0,
                                  "relevant": 0, "not_relevant": 0, "relabelled": 0,
                                  "alerted_items": 0, "precision": None})
        w["items"] += 1
        w["relevant" if relevant else "not_relevant"] += 1
        w["relabelled"] += relabelled
        w["alerted_items"] += alerted
    for w in out.values():
        judged = w["relevant"] + w["not_relevant"]
        w["precision"] = round(w["relevant"] / judged, 3) if judged else None
    return [out[k] for k in sorted(out)]

def _open_path(db_path: str | os.PathLike[str], create: bool) -> sqlite_utils.Database:
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


def _as_list(value: Any) -> list[str] | None:
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
    db = _open_path(db_path, create=True)
    row = db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise StoreError(f"no item with id {item_id!r} in {db_path}; "
                         "`monitor log --json` lists stored item ids")
    def enc(v: Sequence[str] | None) -> str | None:
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
    db = _open_path(db_path, create=False)
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
            return (_as_list(c) if c is not None else _as_list(i)) or []

        out.append({
            "id": f"correction:{item_id}", "item_id": item_id, "title": title or "",
            "text": summary or "", "lang": lang, "relevant": rel,
            "topic": pick(c_topic, i_topic) if rel else [],
            "item": pick(c_item, i_item) if rel else [],
            "jurisdiction": pick(c_jur, i_jur) if rel else [],
            "note": note, "story": f"correction:{item_id}",
        })
    return out
