"""Source health: backoff decisions and edge-triggered ops alerts on a real SQLite file."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from monitor import health
from monitor.config import AlertsConfig, Config, SourceConfig
from monitor.models import Classification, FetchResult, Item
from monitor.store import open_db
from monitor.store.items import insert_item
from monitor.store.sources import SourceState, ensure_source, get_state

T0 = datetime(2025, 10, 9, 8, 0, tzinfo=UTC)
SRC = SourceConfig(name="mofcom-news", url="http://127.0.0.1/feed", interval=900)


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    d = open_db(tmp_path / "monitor.db")
    ensure_source(d, SRC.name, SRC.url, SRC.kind)
    d.conn.commit()
    return d


def cfg(**alerts: object) -> Config:
    return Config(sources=[SRC], alerts=AlertsConfig(ops_channel="#ops", **alerts))  # type: ignore[arg-type]


def fail(msg: str = "HTTP 503 Service Unavailable", retry: float | None = None) -> FetchResult:
    return FetchResult(source=SRC.name, status="error", error=msg, http_status=503,
                       retry_after=retry)


def ok() -> FetchResult:
    return FetchResult(source=SRC.name, status="ok", http_status=200)


def ops_rows(db: sqlite_utils.Database) -> list[dict[str, object]]:
    return list(db.query("SELECT channel, reason, payload FROM alerts WHERE kind = 'ops'"
                         " ORDER BY id"))


def test_failing_source_alerts_once_and_recovers_once(db: sqlite_utils.Database) -> None:
    c = cfg(failures_before_ops_alert=3)
    for i in range(10):
        health.after_poll(db, c, SRC, fail(), T0 + timedelta(minutes=15 * i), 0)
    rows = ops_rows(db)
    assert len(rows) == 1
    text = json.loads(str(rows[0]["payload"]))["text"]
    assert rows[0]["channel"] == "#ops"
    assert text.startswith("mofcom-news failing for 3 polls in a row (never succeeded): "
                           "HTTP 503 Service Unavailable")
    assert get_state(db, SRC.name).health == "failing"

    for i in range(3):
        health.after_poll(db, c, SRC, ok(), T0 + timedelta(hours=5 + i), 0)
    rows = ops_rows(db)
    assert len(rows) == 2
    assert json.loads(str(rows[1]["payload"]))["text"].startswith(
        "mofcom-news recovered after 10 failed polls")
    state = get_state(db, SRC.name)
    assert state.ops_alerted is None and state.consecutive_failures == 0

    # A second outage is a new event: one more alert, not zero.
    for i in range(4):
        health.after_poll(db, c, SRC, fail("timed out after 20s"), T0 + timedelta(hours=9 + i), 0)
    assert len(ops_rows(db)) == 3


def test_ops_falls_back_to_the_alert_channel(db: sqlite_utils.Database) -> None:
    c = Config(sources=[SRC], alerts=AlertsConfig(failures_before_ops_alert=1))
    health.after_poll(db, c, SRC, fail(), T0, 0)
    assert [r["channel"] for r in ops_rows(db)] == ["#export-controls"]


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    rng = random.Random(1)
    s = SourceState(name="x")
    assert health.next_poll_after(s, ok(), 900, T0, rng) is None
    assert health.next_poll_after(s, fail(), 900, T0, rng) is None  # first failure: on schedule
    gaps = []
    for n in range(1, 12):
        after = health.next_poll_after(SourceState(name="x", consecutive_failures=n), fail(),
                                       900, T0, rng)
        assert after is not None
        gaps.append((after - T0).total_seconds())
    assert 900 * 2 * 0.8 <= gaps[0] <= 900 * 2 * 1.2
    assert all(g <= 6 * 3600 for g in gaps) and gaps[-1] >= 6 * 3600 * 0.8
    after = health.next_poll_after(s, fail(retry=3600), 900, T0, rng)
    assert after == T0 + timedelta(hours=1)


def _add_items(db: sqlite_utils.Database, when: list[datetime]) -> None:
    verdict = Classification(relevant=False, score=0.1)
    for i, t in enumerate(when):
        item = Item(id=f"t:{i}", source=SRC.name, title=f"Announcement number {i}",
                    published=t, title_key=f"announcementnumber{i}")
        insert_item(db, item, verdict, [], t)


def test_silent_source_alerts_once_after_history(db: sqlite_utils.Database) -> None:
    c = cfg(silence_factor=6.0)
    # Publishes every 2 h for a day, then stops.
    times = [T0 + timedelta(hours=2 * i) for i in range(12)]
    _add_items(db, times)
    health.after_poll(db, c, SRC, ok(), T0, 12)
    last = times[-1]
    for h in range(1, 30):
        health.after_poll(db, c, SRC, ok(), last + timedelta(hours=h), 0)
    rows = ops_rows(db)
    assert len(rows) == 1
    text = json.loads(str(rows[0]["payload"]))["text"]
    assert text.startswith("mofcom-news silent: no new items for")
    assert get_state(db, SRC.name).health == "silent"
    health.after_poll(db, c, SRC, ok(), last + timedelta(hours=31), 2)
    rows = ops_rows(db)
    assert len(rows) == 2
    assert "publishing again" in json.loads(str(rows[1]["payload"]))["text"]


def test_no_silence_alert_without_history(db: sqlite_utils.Database) -> None:
    c = cfg()
    _add_items(db, [T0, T0 + timedelta(hours=1)])
    health.after_poll(db, c, SRC, ok(), T0, 2)
    health.after_poll(db, c, SRC, ok(), T0 + timedelta(days=30), 0)
    assert ops_rows(db) == []


def test_health_table(db: sqlite_utils.Database) -> None:
    c = cfg()
    health.after_poll(db, c, SRC, fail("HTTP 404 Not Found"), T0, 0)
    [row] = health.health_table(db, c, now=T0)
    assert row["name"] == "mofcom-news" and row["health"] == "failing"
    assert row["consecutive_failures"] == 1 and row["last_error"] == "HTTP 404 Not Found"


def test_items_per_day_follows_publication_not_the_first_poll(db: sqlite_utils.Database) -> None:
    # A new source's first poll brings its whole backlog at once: 30 items over 10 days.
    now = T0 + timedelta(days=10)
    _add_items(db, [T0 + timedelta(hours=8 * i) for i in range(30)])
    health.after_poll(db, cfg(), SRC, ok(), now, 30)
    [row] = health.health_table(db, cfg(), now=now + timedelta(minutes=5))
    # The last week holds 20 of them: three a day, not 30 items an hour.
    assert row["items_per_day"] == pytest.approx(3.0, abs=0.2)


def test_items_per_day_of_a_quiet_young_source(db: sqlite_utils.Database) -> None:
    _add_items(db, [T0 - timedelta(hours=3), T0 - timedelta(hours=1)])
    health.after_poll(db, cfg(), SRC, ok(), T0, 2)
    [row] = health.health_table(db, cfg(), now=T0)
    assert row["items_per_day"] == 2.0
