"""Outbox queries: alerts are rows first, Slack posts second."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from monitor.models import Alert
from monitor.store.db import dumps, iso
from monitor.store.tx import transaction


def story_parent(db: sqlite_utils.Database, alert: Alert) -> dict[str, object] | None:
    """The earliest live alert of the same story in the same channel and target.

    Rows delivered inside a digest carry the digest's ts: threading under them
    would hang the story off the digest, so they never count as a parent.
    """
    rows = list(db.query(
        """SELECT id, status, ts FROM alerts AS a
           WHERE channel = ? AND target = (SELECT target FROM alerts WHERE id = ?)
             AND story_id = (SELECT story_id FROM alerts WHERE id = ?) AND kind = 'item'
             AND id < ? AND status IN ('pending', 'sent') AND thread_ts IS NULL
             AND NOT EXISTS (SELECT 1 FROM alerts AS d WHERE d.kind = 'digest'
                             AND d.channel = a.channel AND d.target = a.target AND d.ts = a.ts)
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
    with transaction(db):
        cur = db.execute(
            """UPDATE alerts SET status = 'digest'
               WHERE status = 'pending' AND kind = 'item' AND channel = ? AND attempts = 0
                 AND item_id IN (SELECT id FROM items WHERE score < ? OR relevant = 0)""",
            [channel, below],
        )
    return cur.rowcount


def digest_targets(db: sqlite_utils.Database, channel: str) -> list[str]:
    """Targets (Slack, apprise URLs) holding alerts of `channel` for a digest."""
    return [str(r[0]) for r in db.execute(
        "SELECT DISTINCT target FROM alerts WHERE status = 'digest' AND channel = ?"
        " ORDER BY target", [channel]).fetchall()]


def digest_waiting(db: sqlite_utils.Database, channel: str,
                   target: str = "slack") -> list[dict[str, object]]:
    return list(db.query(
        """SELECT a.id, a.reason, i.title, i.url, i.source, i.score FROM alerts a
           JOIN items i ON i.id = a.item_id
           WHERE a.status = 'digest' AND a.channel = ? AND a.target = ? ORDER BY a.id""",
        [channel, target],
    ))


def digest_exists(db: sqlite_utils.Database, channel: str, day: str,
                  target: str = "slack") -> bool:
    row = db.execute(
        "SELECT 1 FROM alerts WHERE kind = 'digest' AND channel = ? AND reason = ?"
        " AND target = ?",
        [channel, f"digest:{day}", target],
    ).fetchone()
    return row is not None


def create_digest(db: sqlite_utils.Database, channel: str, day: str, alert_ids: list[int],
                  now: datetime, target: str = "slack") -> int:
    with transaction(db):
        cur = db.execute(
            "INSERT INTO alerts (item_id, channel, reason, status, created_at, kind, payload,"
            " target) VALUES (NULL, ?, ?, 'pending', ?, 'digest', ?, ?)",
            [channel, f"digest:{day}", iso(now), dumps({"day": day, "alert_ids": alert_ids}),
             target],
        )
    return int(cur.lastrowid or 0)


def mark_digested(db: sqlite_utils.Database, alert_ids: list[int], ts: str | None,
                  now: datetime) -> None:
    """Rows summarised by a posted digest count as delivered, with the digest's ts."""
    with transaction(db):
        db.conn.executemany(
            "UPDATE alerts SET status = 'sent', ts = ?, sent_at = ? WHERE id = ? AND"
            " status = 'digest'",
            [(ts, iso(now), i) for i in alert_ids],
        )


def _to_alert(r: dict[str, Any]) -> Alert:  # a row: SQLite's types, as stored
    payload = r.get("payload")
    return Alert(
        id=int(r["id"]),
        item_id=r["item_id"],
        channel=str(r["channel"]),
        reason=str(r["reason"]),
        status=r["status"],
        attempts=int(r["attempts"] or 0),
        last_error=r["last_error"],
        ts=r["ts"],
        kind=str(r["kind"]),
        payload=json.loads(str(payload)) if payload else None,
        created_at=str(r["created_at"]),
        sent_at=r["sent_at"],
        target=str(r.get("target") or "slack"),
        story_id=r.get("story_id"),
        attempt_started_at=r.get("attempt_started_at"),
        next_attempt_at=r.get("next_attempt_at"),
    )


def enqueue_ops(db: sqlite_utils.Database, channel: str, text: str, now: datetime,
                reason: str = "ops") -> int:
    """Queue an operator notice (source failing/recovered, delivery failure)."""
    cur = db.execute(
        "INSERT INTO alerts (item_id, channel, reason, status, created_at, kind, payload)"
        " VALUES (NULL, ?, ?, 'pending', ?, 'ops', ?)",
        [channel, reason, iso(now), dumps({"text": text})],
    )  # sqlite-utils commits it, or it joins the caller's transaction
    return int(cur.lastrowid or 0)


def pending(db: sqlite_utils.Database) -> list[Alert]:
    """Every pending alert, oldest first: per-channel order is id order.

    Alerts not yet due are included so the caller can hold back the later
    alerts of their channel: a retry must not be overtaken.
    """
    return [_to_alert(r) for r in db.query(
        "SELECT * FROM alerts WHERE status = 'pending' ORDER BY id")]


def claim_many(db: sqlite_utils.Database, alert_ids: list[int], token: str, now: datetime,
               stale_after: timedelta) -> dict[int, Alert]:
    """Claim pending alerts for posting, in one transaction: the fresh rows of those now
    ours (an alert another writer holds is left out; a dead writer's claim is taken).

    The rows are re-read inside the claim: a snapshot taken before may miss another
    writer's attempt mark or backoff, and posting from it could repeat a post whose
    outcome is unknown.  Delivery claims the next few alerts of a channel at once; each
    claim ends when its row is settled (`record_posts`) or the run ends (`release_all`).
    """
    if not alert_ids:
        return {}
    db.conn.create_function("monitor_claim_dead", 1, _claim_dead, deterministic=False)
    marks = ",".join("?" * len(alert_ids))
    with transaction(db):
        db.execute(
            f"UPDATE alerts SET claimed_by = ?, claimed_at = ? WHERE id IN ({marks})"
            " AND status = 'pending' AND (claimed_by IS NULL OR claimed_by = ?"
            "      OR claimed_at < ? OR monitor_claim_dead(claimed_by))",
            [token, iso(now), *alert_ids, token, iso(now - stale_after)],
        )
        rows = db.query(f"SELECT * FROM alerts WHERE id IN ({marks}) AND claimed_by = ?"
                        " AND status = 'pending'", [*alert_ids, token])
        return {int(r["id"]): _to_alert(r) for r in rows}


def release_all(db: sqlite_utils.Database, token: str, never_posted: Sequence[int] = ()) -> None:
    """End every claim of this delivery run (rows it did not settle stay pending).

    `never_posted`: alerts whose attempt was marked ahead of time but whose post never
    began; their marks and attempts are given back, as if they had not been marked.
    """
    with transaction(db):
        for start in range(0, len(never_posted), 500):
            ids = list(never_posted[start:start + 500])
            db.execute("UPDATE alerts SET attempt_started_at = NULL,"
                       " attempts = MAX(attempts - 1, 0)"
                       f" WHERE id IN ({','.join('?' * len(ids))}) AND claimed_by = ?"
                       " AND status = 'pending' AND attempt_started_at IS NOT NULL",
                       [*ids, token])
        db.execute("UPDATE alerts SET claimed_by = NULL, claimed_at = NULL"
                   " WHERE claimed_by = ? AND status = 'pending'", [token])


@dataclass(frozen=True)
class Posted:
    """What the service confirmed for one alert, waiting to be written."""

    alert_id: int
    ts: str | None
    at: datetime
    channel_id: str | None = None
    thread_ts: str | None = None


def record_posts(db: sqlite_utils.Database, posted: list[Posted],
                 attempts: Sequence[int] = (), at: datetime | None = None) -> None:
    """One transaction: the confirmed posts (status sent, ts, claim ended) and the
    attempt marks (at `at`) of the next posts.  Delivery marks the next few alerts of
    a channel at once and writes the confirmations with the next marks: one commit
    for a batch of posts.  A crash in between leaves attempt marks on posted and
    unposted alerts alike, and the read-back settles each.
    """
    with transaction(db):
        db.conn.executemany(
            "UPDATE alerts SET status = 'sent', ts = ?, sent_at = ?, channel_id = ?,"
            " thread_ts = ?, attempt_started_at = NULL, last_error = NULL, claimed_by = NULL,"
            " claimed_at = NULL WHERE id = ?",
            [(p.ts, iso(p.at), p.channel_id, p.thread_ts, p.alert_id) for p in posted])
        db.conn.executemany(
            "UPDATE alerts SET attempts = attempts + 1, attempt_started_at = ? WHERE id = ?",
            [(iso(at), alert_id) for alert_id in attempts])


def claim_token() -> str:
    """host:pid:random: a claim whose process is gone can be taken over at once."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _claim_dead(token: str | None) -> bool:
    host, _, rest = (token or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's claim: only the lease can expire it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, owned by someone else
    return False


def mark_failed(db: sqlite_utils.Database, alert_id: int, error: str) -> None:
    with transaction(db):
        db.execute(
            "UPDATE alerts SET status = 'failed', last_error = ?, attempt_started_at = NULL"
            " WHERE id = ?",
            [error, alert_id],
        )


def mark_retry(db: sqlite_utils.Database, alert_id: int, error: str,
               next_attempt_at: datetime | None, *, outcome_unknown: bool = False,
               not_posted: bool = False) -> None:
    """Keep the alert pending; `outcome_unknown` keeps the attempt mark for reconciliation.

    `not_posted` (a 429, a refused token) gives the attempt back: Slack said it
    did nothing, so it must not bring the alert closer to `max_attempts`.
    """
    with transaction(db):
        db.execute(
            "UPDATE alerts SET last_error = ?, next_attempt_at = ?,"
            " attempt_started_at = CASE WHEN ? THEN attempt_started_at END,"
            " attempts = CASE WHEN ? THEN MAX(attempts - 1, 0) ELSE attempts END WHERE id = ?",
            [error, iso(next_attempt_at), int(outcome_unknown), int(not_posted), alert_id],
        )


def count_attempt(db: sqlite_utils.Database, alert_id: int) -> None:
    """An attempt that never reached the post (the history check failed) still counts."""
    with transaction(db):
        db.execute("UPDATE alerts SET attempts = attempts + 1 WHERE id = ?", [alert_id])


def recent(db: sqlite_utils.Database, limit: int = 50, status: str | None = None,
           channel: str | None = None) -> list[dict[str, Any]]:
    """The alert log as analysts read it: newest first, joined with the item.

    Filters run in SQL, so an old failure shows however many alerts came after it.
    """
    return list(db.query(
        """SELECT a.id, a.created_at, a.sent_at, a.channel, a.reason, a.status, a.attempts,
                  a.last_error, a.ts, a.kind, a.target, i.source, i.title, i.url, i.published,
                  i.score, i.topic, i.item, i.jurisdiction, a.payload
           FROM alerts a LEFT JOIN items i ON i.id = a.item_id
           WHERE (:status IS NULL OR a.status = :status)
             AND (:channel IS NULL OR a.channel = :channel)
           ORDER BY a.id DESC LIMIT :limit""",
        {"status": status, "channel": channel, "limit": limit},
    ))
