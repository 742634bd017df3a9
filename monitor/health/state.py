"""Source health as pure decisions: when to poll next, and which ops notice a poll calls for.

Nothing here touches the database or the clock: callers pass the state before
and after a poll and get back what to announce and what to remember, so every
transition (failing, silent, recovered) is unit-tested without SQLite.

Ops notices are edge-triggered: one when a source becomes unhealthy (failing N
polls in a row, or silent far beyond its usual rhythm), one when it recovers;
the `ops_alerted` mark remembers which was announced so a source failing for a
week produces two messages, not 700.
"""

from __future__ import annotations

import itertools
import random
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.models import FetchResult
from monitor.store.db import iso, parse_iso
from monitor.store.sources import SourceState

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


def ago(then: datetime | None, now: datetime) -> str:
    """'12 min', '3.5 h', '2.0 days': how long ago, in the unit a person would use."""
    if then is None:
        return "never"
    secs = max((now - then).total_seconds(), 0)
    if secs < 3600:
        return f"{secs / 60:.0f} min"
    if secs < 2 * 86400:
        return f"{secs / 3600:.1f} h"
    return f"{secs / 86400:.1f} days"


def silence(times: list[datetime], first_success: datetime | None,
            last_new_item: datetime | None, interval: float, factor: float,
            now: datetime) -> tuple[timedelta, timedelta] | None:
    """(time silent, usual gap) when the source is silent for too long, else None."""
    gap = typical_gap(times)
    if gap is None or first_success is None:
        return None
    # Never shorter than the poll interval: we cannot see gaps finer than we poll.
    usual = max(gap, timedelta(seconds=interval))
    limit = usual * factor
    last = max([t for t in (last_new_item, max(times, default=None), first_success)
                if t is not None])
    if now - first_success < limit or now - last < limit:
        return None
    return now - last, usual


def needs_silence_check(after: SourceState, ok: bool, new_items: int, interval: float,
                        factor: float, now: datetime) -> bool:
    """Whether `silence` could find this source silent, so callers read its item history
    only then.  Exact, not a guess: `silence` never calls a source silent within
    interval x factor of its first success or of its last new item, whatever the
    history, so a source that published lately costs no history read on a quiet poll.
    """
    if not ok or after.ops_alerted == FAILING or new_items > 0:
        return False
    first, last_new = parse_iso(after.first_success), parse_iso(after.last_new_item)
    floor = timedelta(seconds=interval) * factor
    return first is not None and now - first >= floor and (
        last_new is None or now - last_new >= floor)


@dataclass(frozen=True)
class Notice:
    """An ops message to enqueue; `reason` keys it in the outbox."""

    text: str
    reason: str


@dataclass(frozen=True)
class Transition:
    """What one poll changes: at most one notice, and the new `ops_alerted` mark.

    `mark` is only applied when `remark` is true (None is a real value: recovery
    announced); `health` overrides the stored health word when given.
    """

    notice: Notice | None = None
    remark: bool = False
    mark: str | None = None
    health: str | None = None


def transition(name: str, before: SourceState, after: SourceState, result: FetchResult,
               new_items: int, next_poll: datetime | None, now: datetime,
               failures_before_alert: int,
               silent: tuple[timedelta, timedelta] | None) -> Transition:
    """Decide the ops side of one poll from the recorded state before and after it.

    `silent` is `silence(...)` for this source, needed only when
    `needs_silence_check` says so (pass None otherwise).
    """
    if not result.ok:
        n = after.consecutive_failures
        if n >= failures_before_alert and after.ops_alerted != FAILING:
            last_ok = parse_iso(after.last_success)
            since = (f"last success {iso(last_ok)}, {ago(last_ok, now)} ago" if last_ok
                     else "never succeeded")
            retry = f"; next try after {iso(next_poll)}" if next_poll else ""
            return Transition(Notice(f"{name} failing for {n} polls in a row ({since}): "
                                     f"{result.error}{retry}", f"ops:{FAILING}:{name}"),
                              remark=True, mark=FAILING)
        return Transition()

    if after.ops_alerted == FAILING:
        return Transition(Notice(f"{name} recovered after {before.consecutive_failures} failed "
                                 f"polls (last error: {before.last_error})",
                                 f"ops:recovered:{name}"), remark=True, mark=None)
    if new_items > 0:
        if after.ops_alerted == SILENT:
            return Transition(Notice(f"{name} is publishing again: {new_items} new item(s)",
                                     f"ops:recovered:{name}"), remark=True, mark=None)
        return Transition()
    if silent is None:
        if after.ops_alerted == SILENT:
            # Still announced; keep the mark.
            return Transition(remark=True, mark=SILENT, health=SILENT)
        return Transition()
    quiet, usual = silent
    notice = None
    if after.ops_alerted != SILENT:
        notice = Notice(f"{name} silent: no new items for {ago(now - quiet, now)} "
                        f"(usually one every {ago(now - usual, now)}); the page layout or "
                        "feed URL may have changed", f"ops:{SILENT}:{name}")
    return Transition(notice, remark=True, mark=SILENT, health=SILENT)

