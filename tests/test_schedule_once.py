"""`run --once` in-process: the last delivery run is not cut short by the delivery budget,
and fetching waits for storing (bounded memory) when the network outruns the writer."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from monitor import schedule
from monitor.alert import ConsoleSink, Sinks
from monitor.config import ConfigWatcher
from monitor.models import Classification, Receipt
from monitor.pipeline import Pipeline
from monitor.sources import SharedPoller
from monitor.store import open_db
from tests.alert.conftest import add_item
from tests.fakes.feeds import FeedServer, rss


class FakeClassifier:
    version = "fake-1"

    def classify(self, title: str, text: str, lang: str | None = None) -> Classification:
        return Classification(relevant=True, score=0.9, topic=("new_restriction",))


class SlowSink(ConsoleSink):
    def post(self, channel: str, message: Any, **kw: Any) -> Receipt:
        time.sleep(0.02)
        return super().post(channel, message, **kw)


def _monitor(cfg: Path, sink: ConsoleSink) -> schedule.Monitor:
    return schedule.Monitor(ConfigWatcher(cfg), lambda _c: FakeClassifier(),
                            lambda c, db, cl: Pipeline(c, db, cl, sinks=Sinks(slack=sink)))


def test_once_delivers_everything_however_long_the_last_run_takes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedule, "DELIVERY_EVERY", 0.05)  # a 0.15 s budget per run
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"database: {tmp_path / 'm.db'}\nalerts: {{pace: 0s}}\nsources: []\n",
                   encoding="utf-8")
    db = open_db(tmp_path / "m.db")
    for n in range(40):  # 40 × 20 ms: far over one run's budget
        add_item(db, n, ["#export-controls"])
    _outcomes, report = _monitor(cfg, SlowSink(io.StringIO())).run_once()
    assert report.sent == 40
    with sqlite3.connect(tmp_path / "m.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM alerts WHERE status = 'pending'"
                            ).fetchone()[0] == 0


def test_fetching_waits_for_storing(tmp_path: Path, feed_server: FeedServer,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedule, "STORE_BACKLOG", 2)
    monkeypatch.setenv("MONITOR_CLASSIFY_PROCESSES", "0")
    held = [0, 0]  # fetched and not yet stored: now, most ever
    real_poll, real_absorb = SharedPoller.poll, Pipeline.absorb

    async def poll(self: SharedPoller, *args: Any, **kw: Any) -> Any:
        result = await real_poll(self, *args, **kw)
        held[0] += 1
        held[1] = max(held)
        return result

    def absorb(self: Pipeline, *args: Any, **kw: Any) -> Any:
        time.sleep(0.05)  # a writer slower than the network
        held[0] -= 1
        return real_absorb(self, *args, **kw)

    monkeypatch.setattr(SharedPoller, "poll", poll)
    monkeypatch.setattr(Pipeline, "absorb", absorb)
    urls = [feed_server.set(f"/f{i}.xml", rss([{"title": f"Item {i}", "guid": f"g{i}",
                                                  "link": f"https://n.example/{i}"}]))
            for i in range(40)]
    cfg = tmp_path / "m.yaml"
    cfg.write_text(
        f"database: {tmp_path / 'm.db'}\ndefaults: {{concurrency: 2, per_host: 2}}\n"
        "alerts: {pace: 0s}\nsources:\n"
        + "".join(f"  - name: s{i}\n    url: {u}\n" for i, u in enumerate(urls)),
        encoding="utf-8")
    outcomes, _report = _monitor(cfg, ConsoleSink(io.StringIO())).run_once()
    assert len(outcomes) == 40 and all(o.status == "ok" for o in outcomes)
    assert held[1] <= 2 + 2  # concurrency + STORE_BACKLOG, not 40


def test_the_ingest_thread_has_the_big_page_cache(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Storing touches random index pages; the writer keeps them cached (delivery and the
    # loop's reads keep SQLite's default, so memory grows only where it pays).
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"database: {tmp_path / 'm.db'}\nsources: []\n", encoding="utf-8")
    monitor = _monitor(cfg, ConsoleSink(io.StringIO()))

    async def caches() -> tuple[int, int]:
        ingest = await monitor._in(monitor._ingest,
                                   lambda p: int(p.db.execute("PRAGMA cache_size").fetchone()[0]))
        other = await monitor._in(monitor._delivery,
                                  lambda p: int(p.db.execute("PRAGMA cache_size").fetchone()[0]))
        return ingest, other

    assert asyncio.run(caches()) == (-1024 * schedule.INGEST_CACHE_MB, -2000)
    monkeypatch.setenv(schedule.INGEST_CACHE_ENV, "0")  # an operator short of memory
    assert schedule.ingest_cache_mb() == 0
    monkeypatch.setenv(schedule.INGEST_CACHE_ENV, "8")
    assert schedule.ingest_cache_mb() == 8
