"""Outbox queries: alerts are rows first, Slack posts second."""

from __future__ import annotations

import json
from datetime import datetime

import sqlite_utils

from monitor.models import Alert
from monitor.store.db import dumps, iso


def story_parent(db: sqlite_utils.Database, alert: Alert) -> dict[str, object] | None:
    """The earliest live alert of the same story in the same channel and target."""
    rows = list(db.query(
        """SELECT id, status, ts FROM alerts
           WHERE channel = ? AND target = (SELECT target FROM alerts WHERE id = ?)
             AND story_id = (SELECT story_id FROM alerts WHERE id = ?) AND kind = 'item'
             AND id < ? AND status IN ('pending', 'sent') AND thread_ts IS NULL
           ORDER BY id LIMIT 1""",
        [alert.channel, alert.id, alert.id, alert.id],
    ))
    return rows[0] if rows else None


def ops_raised_since(db: sqlite_utils.Database, reason: str, since: datetime) -> bool:
    row = db.execute("SELECT 1 FROM alerts WHERE kind = 'ops' AND reason = ? AND created_at >= ?",
                     [reason, iso(since)]).fetchone()
    return row is not None


def move_to_digest(db: sqlite_utils.Database, channel: str, below: float) -> int:
    """Low-score and keyword-only pending alerts of a digest channel wait for the digest."""
    with db.conn:
        cur = db.execute(
            """UPDATE alerts SET status = 'digest'
               WHERE status = 'pending' AND kind = 'item' AND channel = ? AND attempts = 0
                 AND item_id IN (SELECT id FROM items WHERE score < ? OR relevant = 0)""",
            [channel, below],
        )
    return cur.rowcount


def digest_waiting(db: sqlite_utils.Database, channel: str) -> list[dict[str, object]]:
    return list(db.query(
        """SELECT a.id, a.reason, i.title, i.url, i.source, i.score FROM alerts a
           JOIN items i ON i.id = a.item_id
           WHERE a.status = 'digest' AND a.channel = ? AND a.target = 'slack' ORDER BY a.id""",
        [channel],
    ))


def digest_exists(db: sqlite_utils.Database, channel: str, day: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM alerts WHERE kind = 'digest' AND channel = ? AND reason = ?",
        [channel, f"digest:{day}"],
    ).fetchone()
    return row is not None


def create_digest(db: sqlite_utils.Database, channel: str, day: str, alert_ids: list[int],
                  now: datetime) -> int:
    with db.conn:
        cur = db.execute(
            "INSERT INTO alerts (item_id, channel, reason, status, created_at, kind, payload)"
            " VALUES (NULL, ?, ?, 'pending', ?, 'digest', ?)",
            [channel, f"digest:{day}", iso(now), dumps({"day": day, "alert_ids": alert_ids})],
        )
    return int(cur.lastrowid or 0)


def mark_digested(db: sqlite_utils.Database, alert_ids: list[int], ts: str | None,
                  now: datetime) -> None:
    """Rows summarised by a posted digest count as delivered, with the digest's ts."""
    with db.conn:
        db.conn.executemany(
            "UPDATE alerts SET status = 'sent', ts = ?, sent_at = ? WHERE id = ? AND"
            " status = 'digest'",
            [(ts, iso(now), i) for i in alert_ids],
        )


def _to_alert(r: dict[str, object]) -> Alert:
    payload = r.get("payload")
    return Alert(
        id=int(r["id"]),  # type: ignore[arg-type]
        item_id=r["item_id"],  # type: ignore[arg-type]
        channel=str(r["channel"]),
        reason=str(r["reason"]),
        status=r["status"],  # type: ignore[arg-type]
        attempts=int(r["attempts"] or 0),  # type: ignore[arg-type]
        last_error=r["last_error"],  # type: ignore[arg-type]
        ts=r["ts"],  # type: ignore[arg-type]
        kind=str(r["kind"]),
        payload=json.loads(str(payload)) if payload else None,
        created_at=str(r["created_at"]),
        sent_at=r["sent_at"],  # type: ignore[arg-type]
        target=str(r.get("target") or "slack"),
        story_id=r.get("story_id"),  # type: ignore[arg-type]
        attempt_started_at=r.get("attempt_started_at"),  # type: ignore[arg-type]
        next_attempt_at=r.get("next_attempt_at"),  # type: ignore[arg-type]
    )


def enqueue_ops(db: sqlite_utils.Database, channel: str, text: str, now: datetime,
                reason: str = "ops") -> int:
    """Queue an operator notice (source failing/recovered, delivery failure)."""
    cur = db.execute(
        "INSERT INTO alerts (item_id, channel, reason, status, created_at, kind, payload)"
        " VALUES (NULL, ?, ?, 'pending', ?, 'ops', ?)",
        [channel, reason, iso(now), dumps({"text": text})],
    )
    db.conn.commit()
    return int(cur.lastrowid or 0)


def pending(db: sqlite_utils.Database) -> list[Alert]:
    """Every pending alert, oldest first: per-channel order is id order.

    Alerts not yet due are included so the caller can hold back the later
    alerts of their channel: a retry must not be overtaken.
    """
    return [_to_alert(r) for r in db.query(
        "SELECT * FROM alerts WHERE status = 'pending' ORDER BY id")]


def mark_sent(db: sqlite_utils.Database, alert_id: int, ts: str | None, now: datetime,
              channel_id: str | None = None, thread_ts: str | None = None) -> None:
    with db.conn:
        db.execute(
            "UPDATE alerts SET status = 'sent', ts = ?, sent_at = ?, channel_id = ?,"
            " thread_ts = ?, attempt_started_at = NULL, last_error = NULL WHERE id = ?",
            [ts, iso(now), channel_id, thread_ts, alert_id],
        )


def mark_failed(db: sqlite_utils.Database, alert_id: int, error: str) -> None:
    with db.conn:
        db.execute(
            "UPDATE alerts SET status = 'failed', last_error = ?, attempt_started_at = NULL"
            " WHERE id = ?",
            [error, alert_id],
        )


def mark_retry(db: sqlite_utils.Database, alert_id: int, error: str,
               next_attempt_at: datetime | None, *, outcome_unknown: bool = False) -> None:
    """Keep the alert pending; `outcome_unknown` keeps the attempt mark for reconciliation."""
    with db.conn:
        db.execute(
            "UPDATE alerts SET last_error = ?, next_attempt_at = ?,"
            " attempt_started_at = CASE WHEN ? THEN attempt_started_at END WHERE id = ?",
            [error, iso(next_attempt_at), int(outcome_unknown), alert_id],
        )


def mark_attempt(db: sqlite_utils.Database, alert_id: int, now: datetime) -> None:
    """Recorded *before* the post: a row still carrying it after a crash has unknown outcome."""
    with db.conn:
        db.execute(
            "UPDATE alerts SET attempts = attempts + 1, attempt_started_at = ? WHERE id = ?",
            [iso(now), alert_id],
        )


def recent(db: sqlite_utils.Database, limit: int = 50) -> list[dict[str, object]]:
    """The alert log as analysts read it: newest first, joined with the item."""
    return list(db.query(
        """SELECT a.id, a.created_at, a.sent_at, a.channel, a.reason, a.status, a.attempts,
                  a.last_error, a.ts, a.kind, a.target, i.source, i.title, i.url, i.published,
                  i.score, i.topic, i.item, i.jurisdiction, a.payload
           FROM alerts a LEFT JOIN items i ON i.id = a.item_id
           ORDER BY a.id DESC LIMIT ?""",
        [limit],
    ))
