"""Continuous-mode soak: N sources at a short interval, CPU in steady state, item -> Slack.

    python bench/soak.py [--n 1000] [--interval 300] [--seconds 120] [--new 20]

Runs the real `monitor run` against N loopback feeds (answering 304 once seen) and
the loopback fake Slack.  After the start-up poll of every source it measures, over
`--seconds`, the monitor's CPU time (share of one core) and the polls served; midway
it publishes `--new` relevant items on random feeds and reports, per item, the delay
from publication to the Slack post.  Numbers to read on a shared machine, no assertions.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.feeds import FeedServer, LoopbackServer, _handler, rss  # noqa: E402
from tests.fakes.slack import start_fake_slack, stop_fake_slack  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--interval", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--new", type=int, default=20)
    args = ap.parse_args()

    feeds = FeedServer()
    feeds.server = LoopbackServer(("127.0.0.1", 0), _handler(feeds))
    threading.Thread(target=feeds.server.serve_forever, args=(0.05,), daemon=True).start()
    slack = start_fake_slack()
    posted_at: dict[str, float] = {}
    slack.on_accept = lambda m: posted_at.setdefault(str(m.get("text", "")), time.time())
    old = datetime(2020, 1, 1, tzinfo=UTC)
    urls = [feeds.set(f"/f{i}.xml", rss([{"title": f"Weather {i}", "guid": f"w{i}",
                                            "published": old}])) for i in range(args.n)]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "monitor.yaml"
        cfg.write_text(
            f"database: {tmp}/m.db\n"
            f"defaults: {{interval: {args.interval}s, per_host: 16, backlog: 3d}}\n"
            'alerts: {channel: "#soak", pace: 0s}\nsources:\n'
            + "".join(f"  - name: s{i}\n    url: {u}\n" for i, u in enumerate(urls)),
            encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update(MONITOR_CONFIG=str(cfg), MONITOR_DB=f"{tmp}/m.db",
                   SLACK_BOT_TOKEN="xoxb-soak", SLACK_API_URL=slack.url)
        # The log goes to a file: an unread pipe would fill up and block the monitor.
        log = (Path(tmp) / "monitor.log").open("w")
        proc = subprocess.Popen([str(ROOT / ".venv/bin/monitor"), "run"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=log, text=True)
        start = time.time()
        while len({p for p, _ in feeds.requests}) < args.n and time.time() - start < 600:
            if proc.poll() is not None:
                print("monitor exited early:\n"
                      + (Path(tmp) / "monitor.log").read_text()[-2000:])
                return 1
            time.sleep(0.5)
        print(f"start-up poll of {args.n} sources: {time.time() - start:.1f} s")
        time.sleep(3)  # let the start-up ingest settle
        c0, r0, t0 = cpu_seconds(proc.pid), len(feeds.requests), time.time()
        published: dict[str, float] = {}
        time.sleep(args.seconds / 2)
        now = datetime.now(UTC)
        for k, i in enumerate(random.Random(1).sample(range(args.n), args.new)):
            title = f"China imposes export controls on gallium and germanium, notice {k}"
            feeds.set(f"/f{i}.xml", rss([{"title": title, "guid": f"n{k}", "published": now,
                                          "summary": "MOFCOM announced licences for exports."}]))
            published[title] = time.time()
        time.sleep(args.seconds / 2)
        c1, r1, t1 = cpu_seconds(proc.pid), len(feeds.requests), time.time()
        # Items posted after the window still count for the latency (up to one interval).
        deadline = time.time() + args.interval + 30
        while time.time() < deadline and sum(
                any(t in text for text in posted_at) for t in published) < len(published):
            time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.close()
    stop_fake_slack(slack)
    share = (c1 - c0) / (t1 - t0)
    print(f"steady state: {r1 - r0} polls in {t1 - t0:.0f} s, monitor CPU {c1 - c0:.1f} s "
          f"= {share:.1%} of one core (target < 10 % for 1,000 sources at 5 min)")
    delays = sorted(next((ts for text, ts in posted_at.items() if t in text), float("inf")) - p
                    for t, p in published.items())
    if delays:
        p50, p95 = delays[len(delays) // 2], delays[max(0, int(len(delays) * 0.95) - 1)]
        print(f"new item -> Slack: p50 {p50:.1f} s, p95 {p95:.1f} s over {len(delays)} items "
              f"(target p95 <= interval + 2 s = {args.interval + 2} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
