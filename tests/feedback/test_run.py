"""The real `monitor run` process with SLACK_APP_TOKEN, against the loopback feed server,
fake Slack Web API and fake Socket Mode endpoint: alert with buttons -> click -> ack ->
correction row -> alert updated -> clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.feeds import FeedServer, rss
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode, block_actions, wait_for
from tests.feedback.conftest import as_payload_message

ROOT = Path(__file__).resolve().parents[2]


def test_monitor_run_takes_a_click_from_slack(tmp_path: Path, feed_server: FeedServer,
                                              wired: FakeSlack,
                                              fake_socket_mode: FakeSocketMode) -> None:
    now = datetime.now(UTC)
    url = feed_server.set("/news.xml", rss([{
        "title": "China imposes export controls on gallium and germanium",
        "summary": "MOFCOM said exporters must apply for a dual-use licence from August 1.",
        "link": "https://news.example.org/gallium", "guid": "r1",
        "published": now - timedelta(hours=1)}]))
    db = tmp_path / "monitor.db"
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(
        f"database: {db}\ndefaults: {{interval: 1h}}\n"
        'alerts: {channel: "#export-controls", pace: 0s}\n'
        "retrain: {every: 7d, min_corrections: 1000}\n"
        f"sources:\n  - name: news\n    url: {url}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(MONITOR_CONFIG=str(cfg), MONITOR_DB=str(db), SLACK_BOT_TOKEN="xoxb-secret-bot",
               SLACK_APP_TOKEN="xapp-secret-app", SLACK_API_URL=wired.url)
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # A cold start loads the classifier first; on a busy machine that takes a while.
        fake_socket_mode.wait_connected(tries=4800)
        # Delivery runs every 10 s in `monitor run`: allow a few rounds.
        wait_for(lambda: len(wired.posted) == 1, what="the alert", tries=1200)
        posted = wired.posted[0]
        feedback = posted["blocks"][-1]
        assert [e["action_id"] for e in feedback["elements"]] == [
            "feedback_relevant", "feedback_not_relevant", "feedback_topic"]
        item_id = feedback["elements"][0]["value"]

        env_id = fake_socket_mode.send_interactive(block_actions(
            item_id, "feedback_not_relevant", user="U0ANALYST",
            channel=wired.channel_id(posted["channel"]), message=as_payload_message(posted)))
        fake_socket_mode.wait_ack(env_id)
        wait_for(lambda: len(wired.updates) == 1, what="chat.update")
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Slack Socket Mode connected" in err
    assert "secret" not in err  # neither token reaches the log
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT item_id, relevant, slack_user, origin FROM corrections"
                            ).fetchall()
        versions = conn.execute("SELECT model_version FROM items").fetchall()
    assert rows == [(item_id, 0, "U0ANALYST", "slack")]
    assert versions[0][0] and len(versions[0][0]) == 12  # the model that judged the item
    context = [b for b in wired.updates[0]["blocks"] if b.get("block_id") == "feedback_status"]
    assert context[0]["elements"][0]["text"] == "marked not relevant by <@U0ANALYST>"
