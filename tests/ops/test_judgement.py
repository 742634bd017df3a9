"""The health judgement on a real SQLite file, and /healthz with extra status providers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlite_utils

from monitor import ops
from monitor.config import Config, Defaults, SourceConfig
from monitor.models import Classification, Item
from monitor.ops.health import check_delivery, check_polls, judge, summary
from monitor.store import iso, open_db
from monitor.store.items import AlertRequest, insert_item
from monitor.store.sources import ensure_source

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SRC = SourceConfig(name="wire", url="http://127.0.0.1/feed", interval=900)


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    d = open_db(tmp_path / "monitor.db")
    ensure_source(d, SRC.name, SRC.url, SRC.kind)
    d.conn.commit()
    return d


def polled(db: sqlite_utils.Database, ago: timedelta, after: datetime | None = None) -> None:
    db.execute("UPDATE sources SET last_polled = ?, next_poll_after = ? WHERE name = 'wire'",
               [iso(NOW - ago), iso(after)])
    db.conn.commit()


def test_polls_on_schedule_late_and_backing_off(db: sqlite_utils.Database) -> None:
    cfg = Config(sources=[SRC])
    assert not check_polls(db, cfg, NOW).ok  # never polled
    polled(db, timedelta(minutes=20))
    assert check_polls(db, cfg, NOW).ok  # 5 min past due: within jitter and slow fetches
    polled(db, timedelta(minutes=31))
    late = check_polls(db, cfg, NOW)
    assert not late.ok and "wire last polled 31 min ago (every 15 min)" in late.detail
    # failing source in backoff until later: it is on its (longer) schedule
    polled(db, timedelta(hours=2), after=NOW + timedelta(minutes=5))
    assert check_polls(db, cfg, NOW).ok
    disabled = Config(sources=[SRC.model_copy(update={"enabled": False})])
    assert check_polls(db, disabled, NOW).ok


def test_delivery_stuck_only_past_its_turn(db: sqlite_utils.Database) -> None:
    item = Item(id="i1", source="wire", title="t", url="https://x.org/1",
                canonical_url="https://x.org/1", title_key="k1")
    insert_item(db, item, Classification(relevant=True, score=0.9),
                [AlertRequest("#ec", "classifier")], NOW - timedelta(hours=1))
    assert not check_delivery(db, NOW).ok
    db.execute("UPDATE alerts SET next_attempt_at = ?, last_error = 'HTTP 503'",
               [iso(NOW - timedelta(minutes=5))])  # a retry came due 5 min ago
    db.conn.commit()
    assert check_delivery(db, NOW).ok
    db.execute("UPDATE alerts SET next_attempt_at = ?", [iso(NOW - timedelta(minutes=40))])
    db.conn.commit()
    stuck = check_delivery(db, NOW)
    assert not stuck.ok and "last error: HTTP 503" in stuck.detail
    db.execute("UPDATE alerts SET status = 'sent'")
    db.conn.commit()
    assert check_delivery(db, NOW).ok


def test_summary_is_one_line(db: sqlite_utils.Database) -> None:
    polled(db, timedelta(minutes=1))
    checks = judge(db, Config(sources=[SRC]), NOW)
    line = summary(checks)
    assert line.startswith("healthy: database writable") and "\n" not in line


def test_healthz_reports_extra_providers(tmp_path: Path) -> None:
    """A status provider (e.g. Socket Mode) that says no makes /healthz a 503 with its reason."""
    path = tmp_path / "monitor.db"
    db = open_db(path)
    ensure_source(db, SRC.name, SRC.url, SRC.kind)
    db.execute("UPDATE sources SET last_polled = ?", [iso(datetime.now(UTC))])
    db.conn.commit()
    cfg = Config(sources=[SRC], database=str(path), defaults=Defaults())
    state = {"connected": True}
    server = ops.start("127.0.0.1:0", config=lambda: cfg, version="9.9",
                       providers={"socket_mode": lambda: (state["connected"], "connected"
                                                          if state["connected"] else
                                                          "disconnected since 12:00")})
    try:
        base = f"http://{server.address}"
        ok = httpx.get(f"{base}/healthz", timeout=10)
        assert ok.status_code == 200 and ok.json()["checks"]["socket_mode"]["ok"] is True
        state["connected"] = False
        bad = httpx.get(f"{base}/healthz", timeout=10)
        assert bad.status_code == 503
        assert bad.json()["reasons"] == ["socket_mode: disconnected since 12:00"]
        text = httpx.get(f"{base}/metrics", timeout=10).text
        assert 'monitor_build_info{model="unknown",version="9.9"} 1.0' in text
        assert "monitor_pending_alerts 0.0" in text
    finally:
        server.stop()


@pytest.mark.parametrize("value", ["9108", "localhost", "host:port", "1.2.3.4:99999"])
def test_listen_address_must_be_host_port(value: str) -> None:
    with pytest.raises(ops.ListenError):
        ops.parse_listen(value)


def test_listen_address_forms() -> None:
    assert ops.parse_listen("127.0.0.1:9108") == ("127.0.0.1", 9108)
    assert ops.parse_listen(":9108") == ("0.0.0.0", 9108)
    assert ops.parse_listen("[::1]:9108") == ("::1", 9108)
