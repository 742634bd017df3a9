"""The per-source health table behind `monitor sources` and the ops endpoints.

Read-only: it joins what the config says (enabled, removed, kind) with what the
database recorded about each source's polls and items.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlite_utils

from monitor.config import Config
from monitor.store import parse_iso
from monitor.store.sources import all_rows, items_published_between


def _health(row: dict[str, object]) -> str:
    return str(row.get("health") or "new")


def _per_day(db: sqlite_utils.Database, name: str, since: datetime, now: datetime) -> float:
    """The publisher's rate over the last week, by publication date.

    Counting by when we first saw items would credit a new source's whole
    backlog to its first hour and report hundreds a day.
    """
    count, earliest = items_published_between(db, name, since, now)
    first = parse_iso(earliest)
    if not count or first is None:
        return 0.0
    days = max((now - first).total_seconds() / 86400, 1.0)
    return round(count / days, 2)


def health_table(db: sqlite_utils.Database, cfg: Config,
                 now: datetime | None = None) -> list[dict[str, object]]:
    """One row per configured source (plus stored ones no longer configured)."""
    now = now or datetime.now(UTC)
    rows = all_rows(db)
    out: list[dict[str, object]] = []
    week = now - timedelta(days=7)
    names = [s.name for s in cfg.sources] + [n for n in rows if n not in
                                               {s.name for s in cfg.sources}]
    by_name = {s.name: s for s in cfg.sources}
    for name in names:
        row = rows.get(name, {})
        src = by_name.get(name)
        per_day = _per_day(db, name, week, now) if row.get("first_success") else None
        health = _health(row)
        if src is not None and not src.enabled:
            health = "disabled"
        elif src is None:
            health = "removed"
        out.append({
            "name": name,
            "kind": src.kind if src else row.get("kind"),
            "url": src.url if src else row.get("url"),
            "health": health,
            "last_success": row.get("last_success"),
            "last_error": row.get("last_error"),
            "last_error_at": row.get("last_error_at"),
            "last_warning": row.get("last_warning"),
            "failing_since": row.get("failing_since"),
            "consecutive_failures": int(str(row.get("consecutive_failures") or 0)),
            "items_per_day": per_day,
            "items_seen": int(str(row.get("items_seen") or 0)),
            "next_poll_after": row.get("next_poll_after"),
            "ops_alerted": row.get("ops_alerted"),
            "unverified": bool(src.unverified) if src else False,
        })
    return out
