"""The classifier versions retraining produced: scores, status, when each took over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.store.db import iso


@dataclass(frozen=True)
class Scores:
    dev_f1: float | None  # relevance F1 on ../shared/eval/dev.jsonl; None without ../shared
    heldout_accuracy: float | None  # agreement with held-out corrections; None without any
    heldout_n: int = 0


def add(db: sqlite_utils.Database, version: str, path: str, now: datetime, *, status: str,
        corrections: int, scores: Scores, note: str | None = None) -> None:
    """Register a version (or refresh the scores of one already registered)."""
    with db.conn:
        db.execute(
            """INSERT INTO model_versions (version, path, created_at, status, corrections,
                   dev_f1, heldout_accuracy, heldout_n, note, activated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(version) DO UPDATE SET path = excluded.path,
                   dev_f1 = excluded.dev_f1, heldout_accuracy = excluded.heldout_accuracy,
                   heldout_n = excluded.heldout_n""",
            [version, path, iso(now), status, corrections, scores.dev_f1,
             scores.heldout_accuracy, scores.heldout_n, note,
             iso(now) if status == "active" else None])


def activate(db: sqlite_utils.Database, version: str, now: datetime) -> None:
    with db.conn:
        db.execute("UPDATE model_versions SET status = 'retired' WHERE status = 'active'"
                   " AND version != ?", [version])
        db.execute("UPDATE model_versions SET status = 'active', activated_at = ?"
                   " WHERE version = ?", [iso(now), version])


def reject(db: sqlite_utils.Database, version: str) -> None:
    with db.conn:
        db.execute("UPDATE model_versions SET status = 'rejected' WHERE version = ?"
                   " AND status = 'candidate'", [version])


def listing(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every version, newest first, with how many stored items each one judged."""
    return list(db.query(
        """SELECT v.id, v.version, v.status, v.created_at, v.activated_at, v.corrections,
                  v.dev_f1, v.heldout_accuracy, v.heldout_n, v.note, v.path,
                  (SELECT COUNT(*) FROM items i WHERE i.model_version = v.version) AS items
           FROM model_versions v ORDER BY v.id DESC"""))


def record_run(db: sqlite_utils.Database, started: datetime, version: str | None,
               accepted: bool, reason: str) -> None:
    with db.conn:
        db.execute("INSERT INTO retrain_runs (started_at, version, accepted, reason)"
                   " VALUES (?, ?, ?, ?)", [iso(started), version, int(accepted), reason])


def last_attempt(db: sqlite_utils.Database) -> str | None:
    """When the last retrain started (whatever came of it): the retrain clock's start."""
    row = db.execute("SELECT MAX(started_at) FROM retrain_runs").fetchone()
    return str(row[0]) if row and row[0] else None


def runs(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM retrain_runs").fetchone()[0])
