"""Source health: when to poll next, and when to tell an operator something is wrong.

Polite polling: after consecutive failures a source is left alone for
exponentially longer (with jitter, capped), and a server's Retry-After is
always honoured.  Ops alerts are edge-triggered: one when a source becomes
unhealthy (failing N polls in a row, or silent far beyond its usual rhythm),
one when it recovers; `sources.ops_alerted` remembers which was announced so
a source failing for a week produces two messages, not 700.
"""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import UTC, datetime, timedelta

import sqlite_utils

from monitor.config import Config, SourceConfig
from monitor.models import FetchResult
from monitor.store import parse_iso
from monitor.store.db import iso
from monitor.store.outbox import enqueue_ops
from monitor.store.sources import (
    SourceState,
    all_rows,
    get_state,
    item_times,
    items_published_between,
    record_poll,
    set_ops_alerted,
)
from monitor.store.tx import transaction

BACKOFF_CAP = timedelta(hours=6)
JITTER = 0.2  # +-20%: sources that failed together should not retry together
MIN_HISTORY = 5  # items needed before a source's rhythm means anything
FAILING, SILENT = "failing", "silent"


def next_poll_after(state: SourceState, result: FetchResult, interval: float, now: datetime,
                    rng: random.Random | None = None) -> datetime | None:
    """Earliest time the next poll may run; None means "on the normal schedule".

    The first failure retries on schedule (most errors are transient); from the
    second on the gap doubles: interval x 2^(n-1), jittered, capped at 6 h.  A
    Retry-After from the server is a floor, whatever else we decide.
    """
    rng = rng or random.Random()
    delay = 0.0
    if not result.ok:
        failures = state.consecutive_failures + 1
        if failures >= 2:
            base = max(interval, 60.0) * 2 ** min(failures - 1, 20)
            delay = min(base, BACKOFF_CAP.total_seconds())
            delay *= 1 + rng.uniform(-JITTER, JITTER)
            delay = min(delay, BACKOFF_CAP.total_seconds())
    if result.retry_after:
        delay = max(delay, result.retry_after)
    return now + timedelta(seconds=delay) if delay > 0 else None


def typical_gap(times: list[datetime]) -> timedelta | None:
    """Median gap between a source's items; None until there is enough history."""
    stamps = sorted(set(times))
    if len(stamps) < MIN_HISTORY:
        return None
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
    gaps = [g for g in gaps if g > 0]
    if len(gaps) < MIN_HISTORY - 1:
        return None
    return timedelta(seconds=statistics.median(gaps))


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    secs = max((now - then).total_seconds(), 0)
    if secs < 3600:
        return f"{secs / 60:.0f} min"
    if secs < 2 * 86400:
        return f"{secs / 3600:.1f} h"
    return f"{secs / 86400:.1f} days"


def _channel(cfg: Config) -> str:
    return cfg.alerts.ops_channel or cfg.alerts.channel


def _silence(db: sqlite_utils.Database, cfg: Config, src: SourceConfig, state: SourceState,
             now: datetime) -> tuple[timedelta, timedelta] | None:
    """(time silent, usual gap) when the source is silent for too long, else None."""
    times = [t for t in (parse_iso(x) for x in item_times(db, src.name)) if t is not None]
    gap = typical_gap(times)
    first = parse_iso(state.first_success)
    if gap is None or first is None:
        return None
    # Never shorter than the poll interval: we cannot see gaps finer than we poll.
    usual = max(gap, timedelta(seconds=cfg.interval(src)))
    limit = usual * cfg.alerts.silence_factor
    last = max([t for t in (parse_iso(state.last_new_item), max(times, default=None), first)
                if t is not None])
    if now - first < limit or now - last < limit:
        return None
    return now - last, usual


def after_poll(db: sqlite_utils.Database, cfg: Config, source: SourceConfig,
               result: FetchResult, now: datetime, new_items: int,
               rng: random.Random | None = None) -> None:
    """Record the poll and enqueue at most one ops message about a change of health.

    One transaction (or part of the caller's): the new health state, the ops
    notice and the mark that it was sent commit together or not at all.
    """
    with transaction(db):
        _after_poll(db, cfg, source, result, now, new_items, rng)


def _after_poll(db: sqlite_utils.Database, cfg: Config, source: SourceConfig,
                result: FetchResult, now: datetime, new_items: int,
                rng: random.Random | None) -> None:
    before = get_state(db, source.name)
    npa = next_poll_after(before, result, cfg.interval(source), now, rng)
    record_poll(db, result, now, new_items, npa)
    after = get_state(db, source.name)
    name = source.name
    last_ok = parse_iso(after.last_success)

    if not result.ok:
        n = after.consecutive_failures
        if n >= cfg.alerts.failures_before_ops_alert and after.ops_alerted != FAILING:
            since = (f"last success {iso(last_ok)}, {_ago(last_ok, now)} ago" if last_ok
                     else "never succeeded")
            retry = f"; next try after {iso(npa)}" if npa else ""
            enqueue_ops(db, _channel(cfg),
                        f"{name} failing for {n} polls in a row ({since}): {result.error}"
                        f"{retry}", now, reason=f"ops:{FAILING}:{name}")
            set_ops_alerted(db, name, FAILING)
        return

    if after.ops_alerted == FAILING:
        enqueue_ops(db, _channel(cfg),
                    f"{name} recovered after {before.consecutive_failures} failed polls "
                    f"(last error: {before.last_error})", now, reason=f"ops:recovered:{name}")
        set_ops_alerted(db, name, None)
        return
    if new_items > 0:
        if after.ops_alerted == SILENT:
            enqueue_ops(db, _channel(cfg),
                        f"{name} is publishing again: {new_items} new item(s)", now,
                        reason=f"ops:recovered:{name}")
            set_ops_alerted(db, name, None)
        return
    silent = _silence(db, cfg, source, after, now)
    if silent is None:
        if after.ops_alerted == SILENT:
            set_ops_alerted(db, name, SILENT, health=SILENT)  # still announced; keep the mark
        return
    quiet, usual = silent
    if after.ops_alerted != SILENT:
        enqueue_ops(db, _channel(cfg),
                    f"{name} silent: no new items for {_ago(now - quiet, now)} "
                    f"(usually one every {_ago(now - usual, now)}); the page layout or feed "
                    "URL may have changed", now, reason=f"ops:{SILENT}:{name}")
    set_ops_alerted(db, name, SILENT, health=SILENT)


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
