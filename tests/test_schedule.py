"""`monitor run` polls on a schedule and stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.feeds import FeedServer, rss
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parent.parent


def _wait_for(predicate, limit: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    # A safety net against a hung test, not a performance assertion.
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _items(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_polls_then_stops_cleanly(tmp_path: Path, feed_server: FeedServer,
                                      sig: signal.Signals) -> None:
    now = datetime.now(UTC)
    url = feed_server.set("/f.xml", rss([
        {"title": "Local bakery wins award", "link": "http://127.0.0.1/a", "guid": "a",
         "published": now - timedelta(hours=1)},
    ]))
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(
        f"database: {tmp_path / 'm.db'}\ndefaults: {{interval: 1h}}\n"
        f"sources:\n  - name: one\n    url: {url}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SLACK_BOT_TOKEN"}
    env.update(MONITOR_CONFIG=str(cfg), MONITOR_DB=str(tmp_path / "m.db"))
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: _items(tmp_path / "m.db") == 1), "first poll never stored"
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert len(feed_server.hits("/f.xml")) == 1  # started with one poll, interval is 1h


def test_run_hot_reloads_config_and_survives_a_broken_edit(
        tmp_path: Path, feed_server: FeedServer) -> None:
    now = datetime.now(UTC)
    first = feed_server.set("/a.xml", rss([{"title": "Bakery news", "guid": "a",
                                            "link": "http://127.0.0.1/a",
                                            "published": now - timedelta(hours=1)}]))
    second = feed_server.set("/b.xml", rss([{"title": "Harbour news", "guid": "b",
                                             "link": "http://127.0.0.1/b",
                                             "published": now - timedelta(hours=1)}]))
    cfg = tmp_path / "monitor.yaml"
    base = (f"database: {tmp_path / 'm.db'}\ndefaults: {{interval: 1h}}\n"
            f"sources:\n  - name: one\n    url: {first}\n")
    cfg.write_text(base, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SLACK_BOT_TOKEN"}
    env.update(MONITOR_CONFIG=str(cfg), MONITOR_DB=str(tmp_path / "m.db"))
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: _items(tmp_path / "m.db") == 1)
        cfg.write_text(base + "  - name: two\n    urll: nowhere\n", encoding="utf-8")
        time.sleep(7)  # one reload tick sees the broken file; the monitor keeps running
        assert proc.poll() is None
        cfg.write_text(base + f"  - name: two\n    url: {second}\n", encoding="utf-8")
        assert _wait_for(lambda: _items(tmp_path / "m.db") == 2), "new source never polled"
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "config not reloaded, keeping the last good one" in err
    assert f"{cfg}:7: sources[1].urll: unknown key (did you mean 'url'?)" in err


@pytest.mark.parametrize("once", [False, True])
def test_sigterm_cancels_a_hanging_fetch_and_loses_nothing(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack, once: bool) -> None:
    """SIGTERM while one source hangs: prompt exit, every relevant item stored and posted."""
    from tests.test_e2e import RELEVANT, dated

    news = feed_server.set("/news.xml", rss(dated(RELEVANT)))
    hang = feed_server.set("/hang.xml", hang=True)  # accepts, never answers
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(
        f"database: {tmp_path / 'm.db'}\n"
        "defaults: {interval: 1h, timeout: 120s}\n"  # the fetch would hang for minutes
        'alerts: {channel: "#export-controls", pace: 0s}\n'
        f"sources:\n  - name: news\n    url: {news}\n  - name: stuck\n    url: {hang}\n",
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(MONITOR_CONFIG=str(cfg), MONITOR_DB=str(tmp_path / "m.db"),
               SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url)
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", *(["--once"] if once else [])],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert _wait_for(lambda: _items(tmp_path / "m.db") == len(RELEVANT)
                         and bool(feed_server.hits("/hang.xml"))), "polls never started"
        proc.send_signal(signal.SIGTERM)
        # Generous bound (the target is 10 s): far below the 120 s fetch timeout and the
        # server's 60 s hang, so only a cancelled fetch lets the process end in time.
        _out, err = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "poll of stuck cancelled by shutdown" in err
    with sqlite3.connect(tmp_path / "m.db") as conn:
        rows = conn.execute("SELECT status FROM alerts WHERE kind = 'item'").fetchall()
    assert [r[0] for r in rows] == ["sent"] * len(RELEVANT)  # posted, at once or at the end
    assert len(fake_slack.messages("#export-controls")) == len(RELEVANT)  # and only once
