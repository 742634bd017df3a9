"""End to end: real feed server and fake Slack on 127.0.0.1, `monitor run --once` as users do."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.feeds import FeedServer, rss
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC)

RELEVANT = [
    {"title": "China imposes export controls on gallium and germanium",
     "summary": "MOFCOM said exporters must apply for a dual-use licence from August 1.",
     "link": "https://news.example.org/gallium", "guid": "r1"},
    {"title": "US adds 30 Chinese firms to Entity List over chip exports",
     "summary": "The Commerce Department's BIS requires licences for US technology sales.",
     "link": "https://news.example.org/entity", "guid": "r2"},
]
UNRELATED = [
    {"title": "Local football club wins the cup final",
     "summary": "Fans celebrated late into the night.", "link": "https://news.example.org/f",
     "guid": "u1"},
    {"title": "Weather: sunny weekend expected across the region",
     "summary": "Temperatures will climb to 25 degrees.", "link": "https://news.example.org/w",
     "guid": "u2"},
]


def dated(items: list[dict[str, object]], hours: float = 1) -> list[dict[str, object]]:
    return [dict(it, published=NOW - timedelta(hours=hours)) for it in items]


def write_config(tmp_path: Path, sources: dict[str, str], extra: str = "",
                 timeout: str = "5s") -> Path:
    lines = [f"database: {tmp_path / 'monitor.db'}",
             f"defaults: {{interval: 15m, backlog: 3d, timeout: {timeout}}}",
             'alerts: {channel: "#export-controls", threshold: 0.5, pace: 0s, '
             'ops_channel: "#ops", retry_backoff: 0s}',
             "sources:"]
    for name, url in sources.items():
        lines += [f"  - name: {name}", f"    url: {url}"]
    path = tmp_path / "monitor.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def run_once(tmp_path: Path, slack: FakeSlack | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(MONITOR_CONFIG=str(tmp_path / "monitor.yaml"),
               MONITOR_DB=str(tmp_path / "monitor.db"))
    if slack is not None:
        env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.url)
    proc = subprocess.run([sys.executable, "-m", "monitor", "run", "--once"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def alerts(tmp_path: Path) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(tmp_path / "monitor.db") as conn:
        return conn.execute(
            "SELECT i.title, a.channel, a.status, a.ts FROM alerts a JOIN items i"
            " ON i.id = a.item_id ORDER BY a.id").fetchall()


def titles(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["blocks"][0]["text"]["text"]) for m in messages]  # type: ignore[index]


def test_relevant_items_posted_once_and_conditional_get(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    url = feed_server.set("/news.xml", rss(dated(RELEVANT + UNRELATED)))
    write_config(tmp_path, {"news": url})

    run_once(tmp_path, fake_slack)
    assert sorted(titles(fake_slack.messages("#export-controls"))) == sorted(
        str(it["title"]) for it in RELEVANT)
    assert len(fake_slack.messages()) == 2
    with sqlite3.connect(tmp_path / "monitor.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 4
    assert all(status == "sent" and ts for _t, _c, status, ts in alerts(tmp_path))

    run_once(tmp_path, fake_slack)  # nothing new: nothing posted, validators sent
    assert len(fake_slack.messages()) == 2
    assert "if-none-match" in feed_server.hits("/news.xml")[-1]

    new = {"title": "Netherlands expands licence requirement for ASML chip tools exports",
           "summary": "The Dutch government said more lithography systems need a licence.",
           "link": "https://news.example.org/asml", "guid": "r3"}
    feed_server.set("/news.xml", rss(dated([new, *RELEVANT, *UNRELATED])))
    run_once(tmp_path, fake_slack)
    run_once(tmp_path, fake_slack)
    assert titles(fake_slack.messages())[2:] == [new["title"]]


def test_backlog_on_first_poll_is_stored_not_alerted(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    old = dict(RELEVANT[0], published=NOW - timedelta(days=20))
    url = feed_server.set("/news.xml", rss([old, *dated(RELEVANT[1:])]))
    write_config(tmp_path, {"news": url})
    run_once(tmp_path, fake_slack)
    assert titles(fake_slack.messages()) == [RELEVANT[1]["title"]]
    with sqlite3.connect(tmp_path / "monitor.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2


def test_rate_limited_then_ok_posts_once(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    url = feed_server.set("/news.xml", rss(dated(RELEVANT[:1])))
    write_config(tmp_path, {"news": url})
    fake_slack.rate_limits, fake_slack.retry_after = 1, 0
    run_once(tmp_path, fake_slack)
    assert len(fake_slack.messages()) == 1
    assert [c for c, _ in fake_slack.calls].count("chat.postMessage") == 2
    run_once(tmp_path, fake_slack)
    assert len(fake_slack.messages()) == 1


def test_slack_down_for_a_run_loses_nothing(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    url = feed_server.set("/news.xml", rss(dated(RELEVANT)))
    write_config(tmp_path, {"news": url})
    fake_slack.down = True
    run_once(tmp_path, fake_slack)
    assert fake_slack.messages() == []
    assert {status for _t, _c, status, _ts in alerts(tmp_path)} == {"pending"}
    fake_slack.down = False
    run_once(tmp_path, fake_slack)
    assert sorted(titles(fake_slack.messages())) == sorted(str(i["title"]) for i in RELEVANT)
    assert {status for _t, _c, status, _ts in alerts(tmp_path)} == {"sent"}


def test_hostile_headline_arrives_escaped(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    hostile = dict(RELEVANT[0], title="<!channel> China export controls on gallium "
                                       "& germanium <https://evil.example|reuters.com>")
    url = feed_server.set("/news.xml", rss(dated([hostile])))
    write_config(tmp_path, {"news": url})
    run_once(tmp_path, fake_slack)
    (msg,) = fake_slack.messages()
    assert "&lt;!channel&gt;" in msg["text"]
    assert "&amp; germanium &lt;https://evil.example|reuters.com&gt;" in msg["text"]
    mrkdwn = [str(msg["text"])] + [
        json.dumps(b) for b in msg["blocks"] if b["type"] != "header"]  # type: ignore[union-attr]
    assert not any("<!channel>" in m or "<https://evil" in m for m in mrkdwn)


def test_watch_rules_route_and_one_bad_channel_blocks_no_other(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    keyword_only = [
        {"title": "Rare earth miner reports record quarterly profit",
         "summary": "Shares rose after strong magnet demand.", "link": "https://n.example/re",
         "guid": "k1"},
        {"title": "稀土价格本周小幅上涨", "summary": "市场成交活跃，企业库存下降。",
         "link": "https://n.example/zh", "guid": "k2"},
    ]
    url = feed_server.set("/news.xml", rss(dated(RELEVANT[:1] + keyword_only + UNRELATED)))
    write_config(tmp_path, {"news": url}, extra=(
        "watch:\n  - name: rare-earths\n    keywords: [\"rare earth\", \"稀土\"]\n"
        "    channel: \"#rare-earths\"\n"))
    fake_slack.channel_errors["#export-controls"] = "channel_not_found"
    run_once(tmp_path, fake_slack)
    assert sorted(titles(fake_slack.messages("#rare-earths"))) == sorted(
        str(i["title"]) for i in keyword_only)
    assert fake_slack.messages("#export-controls") == []
    rows = alerts(tmp_path)
    assert [(c, s) for t, c, s, _ in rows if c == "#export-controls"] == [
        ("#export-controls", "failed")]
    (ops,) = fake_slack.messages("#ops")
    assert "channel_not_found" in str(ops["text"])
    run_once(tmp_path, fake_slack)  # failed stays failed: no retry storm, no second ops alert
    assert len(fake_slack.messages("#ops")) == 1


def test_broken_sources_leave_the_others_working(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    good = feed_server.set("/good.xml", rss(dated(RELEVANT[:1])))
    sources = {
        "server-error": feed_server.set("/500.xml", "oops", status=500),
        "hangs": feed_server.set("/hang.xml", rss(dated(RELEVANT[1:])), hang=4),
        "garbage": feed_server.set("/junk.xml", bytes(range(256)) * 40),
        "good": good,
    }
    write_config(tmp_path, sources, timeout="1s")
    proc = run_once(tmp_path, fake_slack)
    assert titles(fake_slack.messages()) == [RELEVANT[0]["title"]]
    with sqlite3.connect(tmp_path / "monitor.db") as conn:
        health = dict(conn.execute("SELECT name, last_error FROM sources").fetchall())
    assert health["good"] is None
    assert "500" in health["server-error"]
    assert "timed out" in health["hangs"]
    assert health["garbage"]
    for name in ("server-error", "hangs", "garbage"):
        assert name in proc.stderr


def test_no_token_prints_to_console_and_logs_sent(
        tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/news.xml", rss(dated(RELEVANT + UNRELATED)))
    write_config(tmp_path, {"news": url})
    proc = run_once(tmp_path, None)
    for item in RELEVANT:
        assert str(item["title"]) in proc.stdout
    assert "football" not in proc.stdout
    assert {(s, ts) for _t, _c, s, ts in alerts(tmp_path)} == {("sent", None)}


def test_the_classifier_worker_stores_what_the_main_process_would(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`monitor run --once` with a worker process (the default on 2+ cores) and with
    MONITOR_CLASSIFY_PROCESSES=0 stores the same verdicts, stories and model version."""
    url = feed_server.set("/mixed.xml", rss(dated(RELEVANT + UNRELATED)))
    stored = []
    for processes in ("1", "0"):
        d = tmp_path / f"p{processes}"
        d.mkdir()
        write_config(d, {"wire": url})
        monkeypatch.setenv("MONITOR_CLASSIFY_PROCESSES", processes)
        run_once(d, fake_slack)
        with sqlite3.connect(d / "monitor.db") as conn:
            stored.append(conn.execute(
                "SELECT id, relevant, score, topic, item, jurisdiction, why, story_id,"
                " model_version FROM items ORDER BY id").fetchall())
    assert len(stored[0]) == 4 and stored[0] == stored[1]
    assert sorted(titles(fake_slack.messages("#export-controls"))) == sorted(
        2 * [str(i["title"]) for i in RELEVANT])
