"""Alert-log queries for exports and reports: flat rows, decoded JSON, no secrets.

The `target` column may hold an apprise URL (a secret): it never leaves this
module except as its kind ("slack", "console", "apprise:<scheme>").
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.store.db import iso

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)


def target_kind(target: str | None) -> str:
    if not target or target in ("slack", "console"):
        return target or "slack"
    return "apprise:" + target.split("://", 1)[0].lower() if "://" in target else "apprise"


def redact(text: str | None) -> str | None:
    """Error texts may quote a delivery URL (webhook tokens live in URLs): blank them."""
    return _URL.sub("<url>", text) if text else text


def alert_rows(db: sqlite_utils.Database, since: datetime | None) -> list[dict[str, Any]]:
    """One row per item alert created after `since`, oldest first, with the item's labels."""
    rows = db.query(
        f"""SELECT a.id AS alert_id, a.created_at, a.channel, a.reason, a.status, a.attempts,
                   a.sent_at, a.last_error, a.target, a.story_id, i.id AS item_id, i.title,
                   i.url, i.source, i.published, i.lang, i.score, i.relevant, i.topic, i.item,
                   i.jurisdiction, i.facts
            FROM alerts a JOIN items i ON i.id = a.item_id
            WHERE a.kind = 'item' {"AND a.created_at >= ?" if since else ""}
            ORDER BY a.id""",
        [iso(since)] if since else [],
    )
    out = []
    for r in rows:
        for key in ("topic", "item", "jurisdiction"):
            r[key] = json.loads(r[key] or "[]")
        r["facts"] = json.loads(r["facts"] or "{}")
        r["relevant"] = bool(r["relevant"])
        r["target"] = target_kind(r["target"])
        r["last_error"] = redact(r["last_error"])
        out.append(r)
    return out


def top_stories(db: sqlite_utils.Database, since: datetime | None,
                limit: int = 10) -> list[dict[str, Any]]:
    """Stories with an alerted or relevant item, by how many outlets carried them."""
    return list(db.query(
        f"""SELECT i.story_id, COUNT(DISTINCT s.source) AS outlets,
                   COUNT(DISTINCT i.id) AS items, MIN(i.first_seen) AS first_seen,
                   (SELECT j.title FROM items j WHERE j.story_id = i.story_id
                    ORDER BY j.first_seen, j.rowid LIMIT 1) AS title,
                   (SELECT j.url FROM items j WHERE j.story_id = i.story_id
                    ORDER BY j.first_seen, j.rowid LIMIT 1) AS url,
                   GROUP_CONCAT(DISTINCT s.source) AS sources
            FROM items i JOIN item_sources s ON s.item_id = i.id
            WHERE (i.relevant = 1 OR EXISTS (SELECT 1 FROM alerts a WHERE a.item_id = i.id))
              {"AND i.first_seen >= ?" if since else ""}
            GROUP BY i.story_id
            ORDER BY outlets DESC, items DESC, first_seen DESC
            LIMIT ?""",
        [*([iso(since)] if since else []), limit],
    ))


def quiet_sources(db: sqlite_utils.Database, since: datetime | None) -> list[dict[str, Any]]:
    """Sources failing or marked silent, and (with `since`) those with nothing newer."""
    newest = """(SELECT MAX(COALESCE(i.published, i.first_seen)) FROM item_sources s
                  JOIN items i ON i.id = s.item_id WHERE s.source = src.name)"""
    stale = f"OR COALESCE({newest}, '') < ?" if since else ""
    return list(db.query(
        f"""SELECT src.name, src.health, src.consecutive_failures, src.last_error,
                   src.last_success, {newest} AS newest
            FROM sources src
            WHERE src.health IN ('silent', 'failing') OR src.consecutive_failures > 0 {stale}
            ORDER BY src.name""",
        [iso(since)] if since else [],
    ))


def report_state(db: sqlite_utils.Database, channel: str, period: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM reports WHERE channel = ? AND period = ?",
                         [channel, period]))
    return rows[0] if rows else None


def record_report(db: sqlite_utils.Database, channel: str, period: str, now: datetime,
                  status: str, *, ts: str | None = None, channel_id: str | None = None,
                  error: str | None = None) -> None:
    """Count one attempt; keep the summary's ts so a retry only re-sends what is missing."""
    with db.conn:
        db.execute(
            """INSERT INTO reports (channel, period, status, attempts, last_error, ts,
                                    channel_id, posted_at)
               VALUES (?, ?, ?, 1, ?, ?, ?, ?)
               ON CONFLICT (channel, period) DO UPDATE SET status = excluded.status,
                 attempts = attempts + 1, last_error = excluded.last_error,
                 ts = COALESCE(excluded.ts, ts), channel_id = COALESCE(excluded.channel_id,
                 channel_id), posted_at = excluded.posted_at""",
            [channel, period, status, redact(error), ts, channel_id,
             iso(now) if status == "sent" else None],
        )
