"""One writer per database; even two writers never post an alert twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from monitor.alert import Sinks
from monitor.alert.outbox import deliver_pending
from monitor.alert.slack import SlackSink
from monitor.store import open_db
from monitor.store.lock import WriterLock
from tests.alert.conftest import add_item, config
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parent.parent


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(MONITOR_CONFIG=str(tmp_path / "m.yaml"), MONITOR_DB=str(tmp_path / "m.db"))
    return env


def test_second_run_is_refused_naming_database_and_pid(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("sources: []\n", encoding="utf-8")
    first = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=ROOT,
                             env=env_for(tmp_path), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        lock = tmp_path / "m.db.lock"
        for _ in range(600):  # the first run takes the lock before anything else
            if lock.exists() and lock.read_text().strip() == str(first.pid):
                break
            time.sleep(0.05)
        second = subprocess.run([sys.executable, "-m", "monitor", "run", "--once"], cwd=ROOT,
                                env=env_for(tmp_path), capture_output=True, text=True,
                                timeout=120)
        assert second.returncode != 0
        assert str(tmp_path / "m.db") in second.stderr and f"pid {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        for read_only in (["log"], ["sources"]):
            res = subprocess.run([sys.executable, "-m", "monitor", *read_only], cwd=ROOT,
                                 env=env_for(tmp_path), capture_output=True, text=True,
                                 timeout=120)
            assert res.returncode == 0, res.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
    again = subprocess.run([sys.executable, "-m", "monitor", "run", "--once"], cwd=ROOT,
                           env=env_for(tmp_path), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr  # the lock died with its holder


def test_lock_is_exclusive_in_process_too(tmp_path: Path) -> None:
    with WriterLock(tmp_path / "x.db"):
        try:
            WriterLock(tmp_path / "x.db").acquire()
        except Exception as e:
            assert f"pid {os.getpid()}" in str(e)
        else:
            raise AssertionError("second lock acquired")
    WriterLock(tmp_path / "x.db").acquire().release()


def test_two_writers_delivering_one_outbox_post_each_alert_once(
        tmp_path: Path, fake_slack: FakeSlack) -> None:
    db = open_db(tmp_path / "monitor.db")
    for n in range(24):
        add_item(db, n, ["#export-controls", "#other"])
    fake_slack.on_accept = lambda _body: time.sleep(0.01)  # widen the race window
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            own = open_db(tmp_path / "monitor.db")  # its own connection, like another process
            start.wait()
            deliver_pending(own, config(), Sinks(slack=SlackSink("xoxb-test", fake_slack.url)))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    deliver_pending(db, config(), Sinks(slack=SlackSink("xoxb-test", fake_slack.url)))
    posted = [(m["channel"], m["blocks"][0]["text"]["text"]) for m in fake_slack.messages()]
    assert len(posted) == 48 and len(set(posted)) == 48
    assert {r[0] for r in db.execute("SELECT status FROM alerts")} == {"sent"}
