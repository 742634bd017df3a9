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
