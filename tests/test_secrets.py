"""Planted secrets (Slack token, source header, apprise password) never leave their place.

The real commands run against a loopback feed and fake Slack; then the database
files (with -wal and -shm), every command's stdout/stderr and the logs are
searched for each secret.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.feeds import FeedServer, rss
from tests.fakes.slack import FakeSlack
from tests.test_e2e import RELEVANT, dated

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-test-PLANTED0slack0token0123"
HEADER = "hdr-PLANTED-api-key-4567"
PASSWORD = "apprisePLANTEDpassw0rd89"


def test_secrets_stay_out_of_database_logs_and_output(
        tmp_path: Path, feed_server: FeedServer, fake_slack: FakeSlack) -> None:
    url = feed_server.set("/news.xml", rss(dated(RELEVANT)))
    hook = feed_server.url("/hook").replace("http://", f"json://analyst:{PASSWORD}@")
    bad = feed_server.set("/locked.xml", "no", status=401)
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(
        f"database: {tmp_path / 'monitor.db'}\n"
        'alerts: {channel: "#export-controls", pace: 0s, ops_channel: "#ops",'
        " failures_before_ops_alert: 1}\n"
        f'channels:\n  "#export-controls":\n    targets: ["{hook}"]\n'
        "sources:\n"
        f"  - name: news\n    url: {url}\n    headers: {{X-Api-Key: {HEADER}}}\n"
        f"  - name: locked\n    url: {bad}\n    headers: {{Authorization: 'Bearer {HEADER}'}}\n",
        encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(MONITOR_CONFIG=str(cfg), SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake_slack.url)
    outputs = []
    for args in (["run", "--once"], ["-v", "run", "--once"], ["log"], ["log", "--json"],
                 ["sources"], ["sources", "--json"], ["check-config"], ["-v", "log", "--json"]):
        proc = subprocess.run([sys.executable, "-m", "monitor", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (args, proc.stderr)
        outputs.append((args, proc.stdout + proc.stderr))
    # The planted values did their job where they belong ...
    assert fake_slack.messages("#export-controls")
    assert any(h.get("x-api-key") == HEADER for h in feed_server.hits("/news.xml"))
    assert [p for p, _h in feed_server.requests if p == "/hook"]
    # ... and are nowhere else.
    stores = sorted(tmp_path.glob("monitor.db*"))
    for secret in (TOKEN, HEADER, PASSWORD):
        for args, text in outputs:
            assert secret not in text, (secret, args)
        for path in stores:
            assert secret.encode() not in path.read_bytes(), (secret, path.name)
