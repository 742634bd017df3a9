"""`run --once` attempts every pending alert once, even one waiting out a retry backoff."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.fakes.feeds import FeedServer, rss
from tests.fakes.slack import FakeSlack
from tests.test_e2e import RELEVANT, dated, run_once, titles


def test_first_once_after_slack_recovers_posts_what_waited(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    url = feed_server.set("/news.xml", rss(dated(RELEVANT)))
    (tmp_path / "monitor.yaml").write_text(
        f"database: {tmp_path / 'monitor.db'}\n"
        'alerts: {channel: "#export-controls", pace: 0s, retry_backoff: 1h}\n'
        f"sources:\n  - name: news\n    url: {url}\n", encoding="utf-8")
    fake_slack.down = True
    run_once(tmp_path, fake_slack)
    with sqlite3.connect(tmp_path / "monitor.db") as conn:
        waiting = conn.execute("SELECT COUNT(*) FROM alerts WHERE status = 'pending'"
                               " AND next_attempt_at > strftime('%Y-%m-%dT%H:%M:%SZ','now')")
        assert waiting.fetchone()[0] >= 1  # in a one-hour backoff
    fake_slack.down = False
    run_once(tmp_path, fake_slack)
    assert sorted(titles(fake_slack.messages())) == sorted(str(i["title"]) for i in RELEVANT)
    run_once(tmp_path, fake_slack)
    assert len(fake_slack.messages()) == len(RELEVANT)
