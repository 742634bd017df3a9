"""`monitor run` with MONITOR_LISTEN, as an operator sees it: /healthz, /metrics, JSON logs,
`monitor health` and `monitor backup`, all against loopback feeds and a fake Slack."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.feeds import FeedServer, rss
from tests.fakes.slack import FakeSlack
from tests.ops.conftest import env_for, monitor, start_run, wait_for
from tests.test_e2e import RELEVANT

NOW = datetime.now(UTC)


def write_config(tmp_path: Path, url: str, extra: str = "") -> None:
    (tmp_path / "monitor.yaml").write_text(
        f"database: {tmp_path / 'monitor.db'}\n"
        "defaults: {interval: 1h, backlog: 3d, timeout: 5s}\n"
        'alerts: {channel: "#export-controls", pace: 0s, retry_backoff: 0s}\n'
        f"sources:\n  - name: wire\n    url: {url}\n" + extra, encoding="utf-8")


def _metrics(base: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


def test_run_serves_health_metrics_json_logs(tmp_path: Path, feed_server: FeedServer,
                                             fake_slack: FakeSlack) -> None:
    items = [dict(it, published=NOW - timedelta(hours=1)) for it in RELEVANT]
    write_config(tmp_path, feed_server.set("/wire.xml", rss(items)))
    env = env_for(tmp_path, MONITOR_LISTEN="127.0.0.1:0", LOG_FORMAT="json",
                  SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url)
    run = start_run(env)
    try:
        listening = wait_for(lambda: run.event("ops_listening"))
        assert listening, run.lines
        base = f"http://{listening['address']}"
        assert wait_for(lambda: len(fake_slack.messages("#export-controls")) == 2)
        health = wait_for(lambda: (r := httpx.get(f"{base}/healthz", timeout=10)).status_code
                          == 200 and r)
        assert health, httpx.get(f"{base}/healthz").text
        body = health.json()
        assert body["status"] == "ok"
        assert {"database", "polls", "delivery", "scheduler"} <= set(body["checks"])
        # latency is observed by the delivery batch after the one that sent
        m = wait_for(lambda: (x := _metrics(base)).get(
            "monitor_delivery_latency_seconds_count", [({}, 0)])[0][1] >= 2 and x)
        assert m, _metrics(base)
        assert ({"source": "wire", "status": "ok"}, 1.0) in m["monitor_polls_total"]
        assert m["monitor_items_total"] == [({}, 2.0)]
        assert ({"status": "sent"}, 2.0) in m["monitor_alerts_total"]
        assert m["monitor_pending_alerts"] == [({}, 0.0)]
        assert m["monitor_source_up"] == [({"source": "wire"}, 1.0)]
        assert "monitor_delivery_latency_seconds_bucket" in m
        (labels, value), = m["monitor_build_info"]
        assert value == 1.0 and labels["version"] and labels["model"] != "unknown"
        assert httpx.get(f"{base}/nope", timeout=10).status_code == 404

        good = monitor("health", env=env)
        assert good.returncode == 0, good.stdout + good.stderr
        assert good.stdout.startswith("healthy:") and len(good.stdout.splitlines()) == 1
        copy = tmp_path / "copy.db"
        backed = monitor("backup", str(copy), env=env)
        assert backed.returncode == 0, backed.stderr
        assert "backed up" in backed.stdout  # a human summary: stdout, stderr is JSON-only
        with sqlite3.connect(copy) as conn:
            assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2
    finally:
        _out, code = run.stop()
    assert code == 0
    events = [json.loads(line) for line in run.lines]  # every stderr line is one JSON object
    assert all({"timestamp", "level", "event"} <= set(e) for e in events)
    cycle = next(e for e in events if e["event"] == "poll_cycle")
    assert cycle["new_items"] == 2 and cycle["alerts_queued"] == 2 and "duration_s" in cycle
    batch = next(e for e in events if e["event"] == "delivery_batch" and e["sent"])
    assert batch["sent"] == 2 and batch["level"] == "info"


def test_health_judges_a_stuck_instance(tmp_path: Path, feed_server: FeedServer,
                                        fake_slack: FakeSlack) -> None:
    items = [dict(it, published=NOW - timedelta(hours=1)) for it in RELEVANT]
    write_config(tmp_path, feed_server.set("/wire.xml", rss(items)))
    env = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url)
    fake_slack.down = True  # Slack in an outage: both alerts stay pending
    assert monitor("run", "--once", env=env).returncode == 0
    fresh = monitor("health", env=env)
    assert fresh.returncode == 0, fresh.stdout  # just polled, alerts only just queued
    # The process then stopped and two hours went by: nothing polled, nothing delivered.
    with sqlite3.connect(tmp_path / "monitor.db") as conn:
        conn.execute("UPDATE sources SET last_polled = strftime('%Y-%m-%dT%H:%M:%SZ', 'now',"
                     " '-2 hours'), next_poll_after = NULL")
        conn.execute("UPDATE alerts SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now',"
                     " '-2 hours'), next_attempt_at = NULL")
    stuck = monitor("health", env=env)
    assert stuck.returncode == 1
    line = stuck.stdout.strip()
    assert line.startswith("unhealthy:") and "\n" not in line
    assert "polls: 1 of 1 sources late: wire last polled 2.0 h ago" in line
    assert "delivery: 2 alerts pending over 15 min" in line
    as_json = json.loads(monitor("health", "--json", env=env).stdout)
    assert as_json["status"] == "unhealthy" and len(as_json["reasons"]) == 2
