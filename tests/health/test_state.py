"""Health transitions as pure decisions: no database, states built by hand."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.health.state import (
    FAILING,
    SILENT,
    Transition,
    ago,
    needs_silence_check,
    silence,
    transition,
)
from monitor.models import FetchResult
from monitor.store.db import iso, parse_iso
from monitor.store.sources import SourceState

T0 = datetime(2025, 10, 9, 8, 0, tzinfo=UTC)
NAME = "mofcom-news"
FAIL = FetchResult(source=NAME, status="error", error="HTTP 503", http_status=503)
OK = FetchResult(source=NAME, status="ok", http_status=200)


def state(consecutive_failures: int = 0, ops_alerted: str | None = None,
          last_error: str | None = None) -> SourceState:
    return SourceState(name=NAME, consecutive_failures=consecutive_failures,
                       ops_alerted=ops_alerted, last_error=last_error)


def step(before: SourceState, after: SourceState, result: FetchResult, new_items: int = 0,
         silent: tuple[timedelta, timedelta] | None = None) -> Transition:
    return transition(NAME, before, after, result, new_items, None, T0, 3, silent)


def test_failures_below_the_threshold_say_nothing() -> None:
    assert step(state(), state(consecutive_failures=2), FAIL) == Transition()


def test_reaching_the_threshold_announces_failing_once() -> None:
    first = step(state(consecutive_failures=2), state(consecutive_failures=3), FAIL)
    assert first.notice is not None and first.notice.reason == f"ops:{FAILING}:{NAME}"
    assert "failing for 3 polls in a row (never succeeded): HTTP 503" in first.notice.text
    assert (first.remark, first.mark, first.health) == (True, FAILING, None)
    again = step(state(consecutive_failures=3, ops_alerted=FAILING),
                 state(consecutive_failures=4, ops_alerted=FAILING), FAIL)
    assert again == Transition()


def test_success_after_announced_failure_announces_recovery() -> None:
    before = state(consecutive_failures=5, last_error="HTTP 503", ops_alerted=FAILING)
    out = step(before, state(ops_alerted=FAILING), OK)
    assert out.notice is not None and out.notice.reason == f"ops:recovered:{NAME}"
    assert "recovered after 5 failed polls (last error: HTTP 503)" in out.notice.text
    assert (out.remark, out.mark) == (True, None)


def test_new_items_end_an_announced_silence() -> None:
    out = step(state(ops_alerted=SILENT), state(ops_alerted=SILENT), OK, new_items=2)
    assert out.notice is not None and "publishing again: 2 new item(s)" in out.notice.text
    assert (out.remark, out.mark) == (True, None)


def test_silence_is_announced_once_and_the_mark_kept() -> None:
    quiet = (timedelta(days=3), timedelta(hours=6))
    out = step(state(), state(), OK, silent=quiet)
    assert out.notice is not None and out.notice.reason == f"ops:{SILENT}:{NAME}"
    assert "no new items for 3.0 days (usually one every 6.0 h)" in out.notice.text
    assert (out.remark, out.mark, out.health) == (True, SILENT, SILENT)
    held = step(state(ops_alerted=SILENT), state(ops_alerted=SILENT), OK, silent=quiet)
    assert held == Transition(remark=True, mark=SILENT, health=SILENT)
    ended = step(state(ops_alerted=SILENT), state(ops_alerted=SILENT), OK)
    assert ended == Transition(remark=True, mark=SILENT, health=SILENT)


def quiet_since(first: timedelta, last_new: timedelta | None,
                ops_alerted: str | None = None) -> SourceState:
    return SourceState(name=NAME, ops_alerted=ops_alerted, first_success=iso(T0 - first),
                       last_new_item=None if last_new is None else iso(T0 - last_new))


def needs(after: SourceState, ok: bool = True, new_items: int = 0) -> bool:
    return needs_silence_check(after, ok, new_items, 900, 3.0, T0)


def test_silence_is_only_checked_on_a_quiet_success() -> None:
    long_quiet = quiet_since(timedelta(days=30), timedelta(days=2))
    assert needs(long_quiet)
    assert not needs(long_quiet, new_items=1)
    assert not needs(long_quiet, ok=False)
    assert not needs(quiet_since(timedelta(days=30), timedelta(days=2), FAILING))


def test_no_history_is_read_while_a_source_cannot_be_silent_yet() -> None:
    # interval 900 s x factor 3 = 45 min: the shortest silence `silence` can report.
    assert not needs(state())  # never succeeded
    assert not needs(quiet_since(timedelta(minutes=44), None))
    assert not needs(quiet_since(timedelta(days=30), timedelta(minutes=44)))
    assert needs(quiet_since(timedelta(days=30), None))
    assert needs(quiet_since(timedelta(days=30), timedelta(minutes=45)))


def test_the_history_check_never_skips_a_silence() -> None:
    # Whatever the history: when `needs_silence_check` says no, `silence` says None.
    rng = random.Random(7)
    silences = 0
    for _ in range(3000):
        first = timedelta(minutes=rng.uniform(0, 20_000))
        last_new = None if rng.random() < 0.2 else first * rng.random()
        after = quiet_since(first, last_new)
        times = sorted(T0 - first * rng.random() for _ in range(rng.randrange(0, 12)))
        interval, factor = rng.choice([60.0, 900.0, 3600.0]), rng.choice([1.0, 3.0, 6.0])
        found = silence(times, parse_iso(after.first_success),
                        parse_iso(after.last_new_item), interval, factor, T0)
        if found is not None:
            silences += 1
            assert needs_silence_check(after, True, 0, interval, factor, T0)
    assert silences > 100  # the sample reaches real silences


def test_silence_needs_history_and_a_long_quiet() -> None:
    daily = [T0 - timedelta(days=d) for d in range(10, 4, -1)]  # daily until 5 days ago
    first = T0 - timedelta(days=30)
    assert silence(daily[:3], first, None, 900, 3.0, T0) is None  # too little history
    assert silence(daily, None, None, 900, 3.0, T0) is None  # never succeeded
    assert silence(daily, first, None, 900, 3.0, T0) == (timedelta(days=5), timedelta(days=1))
    assert silence(daily, first, None, 900, 6.0, T0) is None  # within 6x the usual gap
    assert silence(daily, first, T0 - timedelta(hours=1), 900, 3.0, T0) is None


def test_ago_uses_the_unit_a_person_would() -> None:
    assert ago(None, T0) == "never"
    assert ago(T0 - timedelta(minutes=12), T0) == "12 min"
    assert ago(T0 - timedelta(hours=3, minutes=30), T0) == "3.5 h"
    assert ago(T0 - timedelta(days=2), T0) == "2.0 days"
