"""Is this monitor working?  Judged on what the database shows, not on a heartbeat.

Three checks, shared by `monitor health` (a container health check) and the
`/healthz` endpoint of `monitor run`:
  database  the file takes the write lock (writable, not wedged by another process)
  polls     every enabled source was polled within its interval plus a grace
            (its backoff / Retry-After window counts as on schedule)
  delivery  no pending alert has waited more than STUCK_AFTER past its turn
A running process adds its own checks (the scheduler, Socket Mode ...) as
named providers; see `monitor.ops.start`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from monitor.config import Config
from monitor.store import parse_iso
from monitor.store.ops import overdue_alerts, pending_count, write_probe
from monitor.store.sources import all_rows

GRACE = 120.0  # seconds late a poll may be on top of one interval (jitter, slow fetches)
STUCK_AFTER = timedelta(minutes=15)

# A named extra check: returns (ok, one line of detail).
StatusProvider = Callable[[], tuple[bool, str]]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def check_database(db: sqlite_utils.Database) -> Check:
    try:
        write_probe(db)
    except sqlite3.Error as e:
        return Check("database", False, f"database not writable: {e}")
    return Check("database", True, "writable")


def check_polls(db: sqlite_utils.Database, cfg: Config, now: datetime) -> Check:
    enabled = [s for s in cfg.sources if s.enabled]
    if not enabled:
        return Check("polls", True, "no sources enabled")
    rows = all_rows(db)
    late: list[str] = []
    for src in enabled:
        row = rows.get(src.name, {})
        interval = cfg.interval(src)
        last = parse_iso(str(row["last_polled"])) if row.get("last_polled") else None
        if last is None:
            late.append(f"{src.name} never polled")
            continue
        due = last + timedelta(seconds=interval)
        after = parse_iso(str(row["next_poll_after"])) if row.get("next_poll_after") else None
        if after is not None and after > due:
            due = after  # backing off or honouring Retry-After: that is the schedule
        overdue = (now - due).total_seconds()
        if overdue > max(GRACE, interval):
            late.append(f"{src.name} last polled {_minutes((now - last).total_seconds())} ago"
                        f" (every {_minutes(interval)})")
    if late:
        shown = "; ".join(late[:5]) + (f"; +{len(late) - 5} more" if len(late) > 5 else "")
        return Check("polls", False, f"{len(late)} of {len(enabled)} sources late: {shown}")
    return Check("polls", True, f"{len(enabled)} sources on schedule")


def check_delivery(db: sqlite_utils.Database, now: datetime) -> Check:
    count, oldest = overdue_alerts(db, now - STUCK_AFTER)
    if oldest is not None:
        error = f", last error: {oldest['last_error']}" if oldest.get("last_error") else ""
        return Check("delivery", False,
                     f"{count} alerts pending over {_minutes(STUCK_AFTER.total_seconds())}"
                     f" (oldest #{oldest['id']} to {oldest['channel']} since"
                     f" {oldest['created_at']}{error})")
    return Check("delivery", True, f"{pending_count(db)} pending")


def judge(db: sqlite_utils.Database, cfg: Config, now: datetime) -> list[Check]:
    checks = [check_database(db)]
    try:
        checks += [check_polls(db, cfg, now), check_delivery(db, now)]
    except sqlite3.Error as e:
        checks[0] = Check("database", False, f"cannot read the database: {e}")
    return checks


def from_providers(providers: dict[str, StatusProvider]) -> list[Check]:
    out = []
    for name, provider in providers.items():
        try:
            ok, detail = provider()
        except Exception as e:  # a broken provider is itself a finding, not a crash
            ok, detail = False, f"status unavailable: {e}"
        out.append(Check(name, bool(ok), str(detail)))
    return out


def healthy(checks: Iterable[Check]) -> bool:
    return all(c.ok for c in checks)


def summary(checks: list[Check]) -> str:
    """One line: 'healthy: …' or 'unhealthy: …' naming the failing checks first."""
    bad = [c for c in checks if not c.ok]
    if bad:
        return "unhealthy: " + "; ".join(f"{c.name}: {c.detail}" for c in bad)
    return "healthy: " + ", ".join(f"{c.name} {c.detail}" for c in checks)


def as_json(checks: list[Check], **extra: object) -> dict[str, object]:
    ok = healthy(checks)
    body: dict[str, object] = {"status": "ok" if ok else "unhealthy", **extra,
                               "checks": {c.name: {"ok": c.ok, "detail": c.detail}
                                          for c in checks}}
    if not ok:
        body["reasons"] = [f"{c.name}: {c.detail}" for c in checks if not c.ok]
    return body
