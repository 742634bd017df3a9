"""Kill the process after Slack accepted a post but before the ts was recorded: no double post."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlite_utils

from monitor.alert import deliver_pending
from monitor.alert.sinks import Sinks
from monitor.alert.slack import SlackSink
from tests.alert.conftest import Clock, add_item, config
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]

DELIVER = """
import sys
from monitor.alert import deliver_pending
from monitor.alert.sinks import Sinks
from monitor.alert.slack import SlackSink
from monitor.config import Config
from monitor.store import open_db
cfg = Config.model_validate({"alerts": {"channel": "#export-controls", "pace": 0}})
deliver_pending(open_db(sys.argv[1]), cfg, Sinks(slack=SlackSink("xoxb-test", sys.argv[2])))
"""


def test_kill_between_slack_accept_and_commit_posts_once(
        tmp_path: Path, db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#export-controls"])
    proc = subprocess.Popen([sys.executable, "-c", DELIVER, str(tmp_path / "monitor.db"),
                             fake_slack.url], cwd=ROOT)
    # Slack has stored the message; the client is still waiting for the reply: kill it now.
    fake_slack.on_accept = lambda _msg: os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=120) == -signal.SIGKILL
    fake_slack.on_accept = None
    (posted,) = fake_slack.messages()
    row = next(db.query("SELECT status, ts, attempt_started_at FROM alerts"))
    assert row["status"] == "pending" and row["ts"] is None and row["attempt_started_at"]

    report = deliver_pending(db, config(), Sinks(slack=SlackSink("xoxb-test", fake_slack.url)),
                             now=clock, sleep=clock.sleep)
    assert report.sent == 1
    assert len(fake_slack.messages()) == 1  # found in history, not posted again
    row = next(db.query("SELECT status, ts FROM alerts"))
    assert row["status"] == "sent" and row["ts"] == posted["ts"]
    assert [c for c, _ in fake_slack.calls].count("conversations.history") == 1


def test_kill_inside_a_batch_of_attempt_marks_posts_each_alert_once(
        tmp_path: Path, db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    # Delivery marks the attempts of the next alerts of a channel in one commit; a kill
    # after the 4th post leaves 10 marks for 4 posts, and the read-back sorts them out.
    for n in range(10):
        add_item(db, n, ["#export-controls"])
    proc = subprocess.Popen([sys.executable, "-c", DELIVER, str(tmp_path / "monitor.db"),
                             fake_slack.url], cwd=ROOT)
    fake_slack.on_accept = (lambda _msg: os.kill(proc.pid, signal.SIGKILL)
                            if len(fake_slack.posted) == 4 else None)
    assert proc.wait(timeout=120) == -signal.SIGKILL
    fake_slack.on_accept = None
    assert len(fake_slack.messages()) == 4
    marked = [r[0] for r in db.execute("SELECT attempt_started_at FROM alerts").fetchall()]
    assert all(marked)  # posted or not, each has its mark: its outcome is unknown

    report = deliver_pending(db, config(), Sinks(slack=SlackSink("xoxb-test", fake_slack.url)),
                             now=clock, sleep=clock.sleep)
    assert report.sent == 10
    ids = [int(m["metadata"]["event_payload"]["alert_id"]) for m in fake_slack.messages()]
    assert sorted(ids) == list(range(1, 11))  # each once
    assert ids == sorted(ids)  # and in order
    assert {r[0] for r in db.execute("SELECT status FROM alerts").fetchall()} == {"sent"}
