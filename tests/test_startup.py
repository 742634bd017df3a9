"""A `run --once` where every source answers 304 loads none of the heavy parts.

Start-up time is most of such a run (cron users start one every few minutes), so
the classifier code, numpy, the parsers, lark, slack-sdk and the worker pool stay
unloaded until a new item or a post needs them.  Run as users run it, in a fresh
interpreter, against a real feed server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.feeds import FeedServer, rss
from tests.fakes.slack import FakeSlack
from tests.test_e2e import RELEVANT, dated, run_once, write_config

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["numpy", "rich", "lark", "feedparser", "lxml", "slack_sdk", "apscheduler",
         "monitor.classify.model", "monitor.classify.cues", "monitor.feedback.service",
         "concurrent.futures.process"]
# `monitor run --once` in this interpreter, then the heavy modules it loaded.
DRIVER = """
import json, sys
from monitor.cli import main
sys.argv = ["monitor", "run", "--once"]
try:
    main()
except SystemExit as e:
    assert not e.code, e.code
print(json.dumps([m for m in HEAVY if m in sys.modules]))
"""


def test_an_all_304_run_loads_no_heavy_module(tmp_path: Path, feed_server: FeedServer,
                                              fake_slack: FakeSlack) -> None:
    urls = {f"wire{n}": feed_server.set(f"/f{n}.xml", rss(dated(RELEVANT)),
                                        content_type="application/rss+xml")
            for n in range(3)}
    write_config(tmp_path, urls)
    run_once(tmp_path, fake_slack)  # first run: items stored, alerts posted, ETags kept
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(MONITOR_CONFIG=str(tmp_path / "monitor.yaml"), SLACK_BOT_TOKEN="xoxb-test",
               SLACK_API_URL=fake_slack.url)
    proc = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{DRIVER}"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "3 not modified" in proc.stdout or "not_modified=3" in proc.stderr, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded == []
