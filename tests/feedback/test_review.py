"""Reviewing feedback: `monitor log` shows it, Datasette's canned queries (a real datasette
process over a real database) list it and count it per week."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.store import open_db
from monitor.store.corrections import record_click, weekly_feedback
from tests.fakes.socket_mode import wait_for
from tests.feedback.conftest import CHANNEL, add_item

ROOT = Path(__file__).resolve().parents[2]
DATASETTE = Path(sys.executable).with_name("datasette")


@pytest.fixture
def judged(db_path: Path) -> Path:
    for n in range(3):
        add_item(db_path, n)
    db = open_db(db_path)
    db.execute("UPDATE alerts SET status = 'sent', ts = '1.1'")
    db.conn.commit()
    now = datetime.now(UTC)
    record_click(db, envelope_id="e1", item_id="item-0", user="U1", relevant=False,
                 topic=None, now=now)
    record_click(db, envelope_id="e2", item_id="item-0", user="U2", relevant=False,
                 topic=None, now=now)
    record_click(db, envelope_id="e3", item_id="item-1", user="U1", relevant=None,
                 topic="enforcement", now=now)
    db.close()
    return db_path


def _env(db_path: Path) -> dict[str, str]:
    cfg = db_path.parent / "monitor.yaml"
    cfg.write_text(f"database: {db_path}\nalerts: {{channel: '{CHANNEL}'}}\n", encoding="utf-8")
    return dict(os.environ, MONITOR_CONFIG=str(cfg), MONITOR_DB=str(db_path))


def test_monitor_log_shows_feedback(judged: Path) -> None:
    env = _env(judged)
    out = subprocess.run([sys.executable, "-m", "monitor", "log", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    rows = {r["title"]: r["corrections"] for r in map(json.loads, out.splitlines())}
    assert rows["Export controls story 0"]["not_relevant"] == 2
    assert rows["Export controls story 1"]["latest"]["topic"] == ["enforcement"]
    assert rows["Export controls story 2"] is None
    table = subprocess.run([sys.executable, "-m", "monitor", "log"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300, check=True).stdout
    assert "feedback" in table and "✓0 ✗2" in table and "✓1 ✗0" in table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not DATASETTE.exists(), reason="datasette is a dev dependency")
def test_datasette_canned_queries_show_feedback(judged: Path) -> None:
    port = _free_port()
    log = (judged.parent / "datasette.log").open("w", encoding="utf-8")  # never a full pipe
    proc = subprocess.Popen([str(DATASETTE), "serve", str(judged), "--metadata",
                             str(ROOT / "config" / "datasette.yaml"), "--plugins-dir",
                             str(ROOT / "config" / "datasette-plugins"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                            text=True)

    def get(query: str) -> list[dict[str, object]]:
        url = f"http://127.0.0.1:{port}/{judged.stem}/{query}.json?_shape=array"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return list(json.load(resp))

    def up() -> bool:
        try:
            get("feedback_by_week")
            return True
        except OSError:
            return proc.poll() is not None

    try:
        wait_for(up, what="datasette", tries=2400)
        assert proc.poll() is None, (judged.parent / "datasette.log").read_text()
        marks = get("slack_feedback")
        assert sorted((r["slack_user"], r["marked"], r["topic_given"]) for r in marks) == [
            ("U1", "not relevant", None), ("U1", "relevant", '["enforcement"]'),
            ("U2", "not relevant", None)]
        (week,) = get("feedback_by_week")
        (expected,) = weekly_feedback(open_db(judged))  # the SQL and the report agree
        assert (week["week"], week["items"], week["relevant"], week["precision"]) == (
            expected["week"], expected["items"], expected["relevant"], expected["precision"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
