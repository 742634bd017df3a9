"""Per-source state: conditional-GET validators, poll outcomes, health counters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from monitor.models import FetchResult, Validators
from monitor.store.db import iso


@dataclass(frozen=True)
class SourceState:
    name: str
    etag: str | None = None
    last_modified: str | None = None
    first_success: str | None = None
    consecutive_failures: int = 0
    next_poll_after: str | None = None
    health: str = "new"
    ops_alerted: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    items_seen: int = 0
    last_new_item: str | None = None

    @property
    def validators(self) -> Validators:
        """What the sources layer may see of this state: the validators to send back."""
        return Validators(self.etag, self.last_modified)


def ensure_source(db: sqlite_utils.Database, name: str, url: str, kind: str) -> None:
    """Create or update the source's row; a read only when nothing changed."""
    row = db.execute("SELECT url, kind FROM sources WHERE name = ?", [name]).fetchone()
    if row is not None and tuple(row) == (url, kind):
        return
    db.execute(
        "INSERT INTO sources (name, url, kind) VALUES (?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET url = excluded.url, kind = excluded.kind,"
        # A changed URL invalidates the old validators: they belong to the old resource.
        " etag = CASE WHEN sources.url = excluded.url THEN sources.etag END,"
        " last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified END",
        [name, url, kind],
    )


def get_state(db: sqlite_utils.Database, name: str) -> SourceState:
    return get_states(db, [name])[name]


def get_states(db: sqlite_utils.Database, names: Sequence[str]) -> dict[str, SourceState]:
    """The state of each named source (a fresh one for a source never stored), read
    500 names per statement."""
    found: dict[str, SourceState] = {}
    for start in range(0, len(names), 500):
        chunk = list(names[start:start + 500])
        found.update((r["name"], _state(r)) for r in db.query(
            f"SELECT * FROM sources WHERE name IN ({','.join('?' * len(chunk))})", chunk))
    return {name: found.get(name) or SourceState(name=name) for name in names}


def _state(r: dict[str, Any]) -> SourceState:
    return SourceState(
        name=r["name"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        first_success=r["first_success"],
        consecutive_failures=r["consecutive_failures"] or 0,
        next_poll_after=r["next_poll_after"],
        health=r["health"],
        ops_alerted=r["ops_alerted"],
        last_success=r["last_success"],
        last_error=r["last_error"],
        items_seen=r["items_seen"] or 0,
        last_new_item=r["last_new_item"],
    )


def record_poll(
    db: sqlite_utils.Database,
    result: FetchResult,
    now: datetime,
    new_items: int = 0,
    next_poll_after: datetime | None = None,
) -> None:
    """Write one poll's outcome; failures keep the old validators and the success history."""
    if result.ok:
        warning = "; ".join(result.warnings) or None
        db.execute(
            """UPDATE sources SET
                 etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),
                 first_success = COALESCE(first_success, ?), last_polled = ?, last_success = ?,
                 consecutive_failures = 0, health = 'ok', next_poll_after = ?,
                 items_seen = items_seen + ?,
                 last_new_item = CASE WHEN ? > 0 THEN ? ELSE last_new_item END,
                 last_warning = ?, failing_since = NULL
               WHERE name = ?""",
            [result.etag, result.last_modified, iso(now), iso(now), iso(now),
             iso(next_poll_after), new_items, new_items, iso(now), warning, result.source],
        )
    else:
        db.execute(
            """UPDATE sources SET last_polled = ?, last_error = ?, last_error_at = ?,
                 consecutive_failures = consecutive_failures + 1, health = 'failing',
                 next_poll_after = ?, failing_since = COALESCE(failing_since, ?)
               WHERE name = ?""",
            [iso(now), result.error, iso(now), iso(next_poll_after), iso(now), result.source],
        )


def set_ops_alerted(db: sqlite_utils.Database, name: str, value: str | None,
                    health: str | None = None) -> None:
    """Remember which unhealthy state was announced (None once recovery was announced)."""
    db.execute(
        "UPDATE sources SET ops_alerted = ?, health = COALESCE(?, health) WHERE name = ?",
        [value, health, name],
    )


def item_times(db: sqlite_utils.Database, name: str, limit: int = 60) -> list[str]:
    """When this source's latest items appeared: published date, else when we first saw it.

    Publication dates give the publisher's rhythm; first_seen is all we have for
    undated entries.  Syndicated sightings count for the source that carried them.
    """
    return [
        str(r[0]) for r in db.execute(
            "SELECT COALESCE(i.published, s.first_seen) AS t FROM item_sources s"
            " JOIN items i ON i.id = s.item_id WHERE s.source = ?"
            " ORDER BY t DESC LIMIT ?",
            [name, limit],
        ).fetchall() if r[0]
    ]


def items_published_between(db: sqlite_utils.Database, name: str, since: datetime,
                            until: datetime) -> tuple[int, str | None]:
    """How many of this source's items appeared in [since, until], and the earliest time.

    Same clock as `item_times`; all stamps share one ISO form, so SQL compares them
    as text and the count needs no rows in Python.
    """
    row = db.execute(
        "SELECT COUNT(*), MIN(t) FROM (SELECT COALESCE(i.published, s.first_seen) AS t"
        " FROM item_sources s JOIN items i ON i.id = s.item_id WHERE s.source = ?)"
        " WHERE t >= ? AND t <= ?",
        [name, iso(since), iso(until)],
    ).fetchone()
    return int(row[0] or 0), row[1]


def all_rows(db: sqlite_utils.Database) -> dict[str, dict[str, object]]:
    """Every stored source row by name (for the health table)."""
    return {str(r["name"]): r for r in db.query("SELECT * FROM sources ORDER BY name")}
