"""Delivery throughput against the loopback fake Slack: raw and paced, per channel.

Prints alerts/s for (a) unpaced posting, the baseline measured in this run, and
(b) the configured 1 s pacing over several channels, where channels are paced
independently. No assertions: numbers to read, not a test.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.alert import deliver_pending
from monitor.alert.sinks import Sinks
from monitor.alert.slack import SlackSink
from monitor.config import Config
from monitor.models import Classification, Item
from monitor.store import open_db, utcnow
from monitor.store.items import AlertRequest, insert_item
from tests.fakes.slack import start_fake_slack


def _serve(conn: Connection) -> None:
    fake = start_fake_slack()
    conn.send(fake.url)
    conn.recv()  # until the parent is done


def run(n_alerts: int, channels: int, pace: float) -> tuple[float, int]:
    # The fake Slack runs in a child process, as Slack is another machine: in this
    # process its threads would take the GIL from the poster and halve the rate.
    parent, child = mp.Pipe()
    server = mp.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    url = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        now = utcnow()
        for i in range(n_alerts):
            item = Item(id=f"i{i}", source="bench", title=f"Export controls item {i}",
                        url=f"https://x.example/{i}")
            insert_item(db, item, Classification(relevant=True, score=0.9),
                        [AlertRequest(f"#c{i % channels}", "classifier")], now)
        cfg = Config.model_validate({"alerts": {"channel": "#c0", "pace": pace}})
        start = time.perf_counter()
        report = deliver_pending(db, cfg, Sinks(slack=SlackSink("xoxb-bench", url)))
        elapsed = time.perf_counter() - start
    parent.send("stop")
    server.join(5)
    return elapsed, report.sent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="alerts for the unpaced run")
    args, _ = ap.parse_known_args()
    raw_t, raw_sent = run(args.n, 1, 0.0)
    raw_rate = raw_sent / raw_t
    print(f"unpaced: {raw_sent} alerts in {raw_t:.2f}s = {raw_rate:.0f} alerts/s (one channel; "
          "target >= 1000/s)")
    paced_n, chans = 4, 3
    paced_t, paced_sent = run(paced_n * chans, chans, 1.0)
    # The first post of each channel goes at once; pacing governs the gaps after it.
    per_channel = (paced_sent / chans - 1) / paced_t
    print(f"paced 1s: {paced_sent} alerts over {chans} channels in {paced_t:.2f}s = "
          f"{per_channel:.2f} alerts/s per channel (target ≈1.0), "
          f"{paced_sent / paced_t:.2f} alerts/s overall")
    print(f"ratio paced-per-channel / unpaced: {per_channel / raw_rate:.4f} "
          "(pacing, not the code, bounds delivery)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
