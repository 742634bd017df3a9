"""The commands as users type them: check-config, log, run exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.feeds import FeedServer, rss

ROOT = Path(__file__).resolve().parent.parent


def monitor(*args: str, cfg: Path, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["MONITOR_CONFIG"] = str(cfg)
    if db:
        env["MONITOR_DB"] = str(db)
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_check_config_ok_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("sources:\n  - name: a\n    url: https://x.org/f\n", encoding="utf-8")
    ok = monitor("check-config", cfg=good)
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: a\n    url: https://x.org/f\n    knd: feed\n"
                   "alerts:\n  pace: never\n", encoding="utf-8")
    res = monitor("check-config", cfg=bad)
    assert res.returncode == 2  # unusable config: the one exit code for it
    assert f"{bad}:4: sources[0].knd: unknown key (did you mean 'kind'?)" in res.stderr
    assert f"{bad}:6: alerts.pace: not a duration" in res.stderr


def test_run_refuses_unusable_config_and_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: 12\n", encoding="utf-8")
    res = monitor("run", "--once", cfg=bad)
    assert res.returncode == 2 and "sources" in res.stderr and "Traceback" not in res.stderr
    good = tmp_path / "good.yaml"
    good.write_text("sources: []\n", encoding="utf-8")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite" * 1000)
    res = monitor("run", "--once", cfg=good, db=junk)
    assert res.returncode == 2 and "cannot open database" in res.stderr


def test_log_lists_alerts_as_text_and_json(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/f.xml", rss([{
        "title": "China imposes export controls on gallium and germanium",
        "summary": "MOFCOM requires dual-use export licences.", "guid": "1",
        "link": "https://n.example/g", "published": datetime.now(UTC) - timedelta(hours=1)}]))
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"sources:\n  - name: wire\n    url: {url}\n", encoding="utf-8")
    db = tmp_path / "m.db"
    assert monitor("run", "--once", cfg=cfg, db=db).returncode == 0
    res = monitor("log", "--json", cfg=cfg, db=db)
    (row,) = [json.loads(line) for line in res.stdout.splitlines()]
    assert row["source"] == "wire" and row["status"] == "sent" and row["reason"] == "classifier"
    assert row["channel"] == "#export-controls" and row["url"] == "https://n.example/g"
    assert "new_restriction" in row["topic"]
    text = monitor("log", cfg=cfg, db=db).stdout
    assert "wire" in text and "sent" in text and "gallium" in text
