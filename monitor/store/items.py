"""Items: find the stored twin of a fetched entry, insert new ones with their alerts.

Identity rules (issue: dedup across outlets): an entry is the same item as a
stored one when its id, its (source, GUID), its canonical URL, or its
normalised title matches.  A match from another source is syndication: the
source is recorded on the item, nothing new is stored or alerted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from monitor.models import Classification, Item
from monitor.store.db import dumps, iso
from monitor.store.story_index import add_keys
from monitor.store.tx import transaction

# Titles repeat across years ("Weekly trade roundup"); only recent twins count.
TITLE_MATCH_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class AlertRequest:
    channel: str
    reason: str
    target: str = "slack"
    status: str = "pending"


def find_existing(db: sqlite_utils.Database, item: Item, now: datetime) -> str | None:
    """Return the id of the stored item this entry duplicates, if any."""
    row = db.execute("SELECT id FROM items WHERE id = ?", [item.id]).fetchone()
    if row:
        return str(row[0])
    if item.guid:
        row = db.execute(
            "SELECT item_id FROM item_sources WHERE source = ? AND guid = ?",
            [item.source, item.guid],
        ).fetchone()
        if row:
            return str(row[0])
    if item.canonical_url:
        row = db.execute(
            "SELECT id FROM items WHERE canonical_url = ? LIMIT 1", [item.canonical_url]
        ).fetchone()
        if row:
            return str(row[0])
    if item.title_key and len(item.title_key) >= 12:
        row = db.execute(
            "SELECT id FROM items WHERE title_key = ? AND first_seen >= ? LIMIT 1",
            [item.title_key, iso(now - TITLE_MATCH_WINDOW)],
        ).fetchone()
        if row:
            return str(row[0])
    return None


def record_sighting(db: sqlite_utils.Database, item_id: str, item: Item, now: datetime) -> None:
    """Remember that `item.source` also carried this item (syndication, GUID change)."""
    db.execute(
        "INSERT OR IGNORE INTO item_sources (item_id, source, guid, url, first_seen)"
        " VALUES (?, ?, ?, ?, ?)",
        [item_id, item.source, item.guid, item.url, iso(now)],
    )


def insert_item(
    db: sqlite_utils.Database,
    item: Item,
    verdict: Classification,
    alerts: Iterable[AlertRequest],
    now: datetime,
    story_id: str | None = None,
    model_version: str | None = None,
    story_keys: Sequence[int] = (),
) -> None:
    """Store a new item and its outbox rows in one transaction: persist before delivery."""
    with transaction(db):
        cur = db.execute(
            """INSERT INTO items (id, source, guid, url, canonical_url, title, title_key, summary,
                lang, published, first_seen, relevant, score, topic, item, jurisdiction, why, facts,
                story_id, model_version)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            [
                item.id, item.source, item.guid, item.url, item.canonical_url, item.title,
                item.title_key, item.summary, item.lang, iso(item.published), iso(now),
                int(verdict.relevant), round(verdict.score, 4), dumps(list(verdict.topic)),
                dumps(list(verdict.item)), dumps(list(verdict.jurisdiction)),
                dumps(list(verdict.why)), dumps(verdict.facts), story_id or item.id,
                model_version,
            ],
        )
        record_sighting(db, item.id, item, now)
        add_keys(db, int(cur.lastrowid or 0), story_keys)
        for a in alerts:
            db.execute(
                "INSERT OR IGNORE INTO alerts (item_id, channel, reason, status, created_at, kind,"
                " target, story_id) VALUES (?, ?, ?, ?, ?, 'item', ?, ?)",
                [item.id, a.channel, a.reason, a.status, iso(now), a.target, story_id or item.id],
            )


def decode_facts(raw: str | None) -> dict[str, list[str]]:
    """The facts column as `stories` reads it: decoded here, so only the store knows it is JSON."""
    data = json.loads(raw or "{}")
    return data if isinstance(data, dict) else {}


def item_row(db: sqlite_utils.Database, item_id: str) -> dict[str, object] | None:
    return item_rows(db, [item_id]).get(item_id)


def item_rows(db: sqlite_utils.Database, item_ids: Sequence[str]) -> dict[str, dict[str, object]]:
    """Items by id, JSON columns decoded and with every source that carried them."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    out: dict[str, dict[str, object]] = {}
    for row in db.query(f"SELECT * FROM items WHERE id IN ({marks})", ids):
        for key in ("topic", "item", "jurisdiction", "why"):
            row[key] = json.loads(row[key] or "[]")
        row["facts"] = json.loads(row["facts"] or "{}")
        row["sources"] = []
        out[str(row["id"])] = row
    for item_id, source in db.execute(
            f"SELECT item_id, source FROM item_sources WHERE item_id IN ({marks})"
            " ORDER BY item_id, first_seen, source", ids).fetchall():
        sources = out.get(str(item_id), {}).get("sources")
        if isinstance(sources, list):
            sources.append(source)
    return out
