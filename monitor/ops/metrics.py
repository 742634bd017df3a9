"""Prometheus metrics of one `monitor run` process (names fixed by interfaces.md).

Counters count what this process did since it started (Prometheus handles
resets).  Gauges that describe the database (pending alerts, source up, last
poll) are read from it at scrape time, so they are true whichever thread or
process changed it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from monitor.config import Config
from monitor.store import parse_iso, utcnow
from monitor.store.db import iso
from monitor.store.ops import connect, pending_count, sent_since
from monitor.store.sources import all_rows

REGISTRY = CollectorRegistry(auto_describe=True)

POLLS = Counter("monitor_polls", "Source polls by outcome (ok, not_modified, error).",
                ["source", "status"], registry=REGISTRY)
ITEMS = Counter("monitor_items", "New items stored.", registry=REGISTRY)
ALERTS = Counter("monitor_alerts",
                 "Alert outcomes: queued at poll time; sent, failed, retrying, digested at"
                 " delivery.", ["status"], registry=REGISTRY)
POLL_SECONDS = Histogram("monitor_poll_cycle_seconds", "Duration of one poll cycle.",
                         buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300), registry=REGISTRY)
DELIVERY_SECONDS = Histogram("monitor_delivery_batch_seconds",
                             "Duration of one delivery batch.",
                             buckets=(0.05, 0.2, 1, 2, 5, 10, 30, 60), registry=REGISTRY)
LATENCY = Histogram("monitor_delivery_latency_seconds",
                    "Item first seen to Slack confirmed, per item alert.",
                    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 86400),
                    registry=REGISTRY)
BUILD = Gauge("monitor_build_info", "Version of the monitor and of its classifier model.",
              ["version", "model"], registry=REGISTRY)


def observe_poll(outcomes: list[tuple[str, str, int, int]], seconds: float) -> None:
    """One poll cycle: (source, status, new items, alerts queued) per source polled."""
    for source, status, new_items, queued in outcomes:
        POLLS.labels(source=source, status=status).inc()
        ITEMS.inc(new_items)
        if queued:
            ALERTS.labels(status="queued").inc(queued)
    POLL_SECONDS.observe(seconds)


class _LatencyWatch:
    """Observes each sent item alert once, from a sent_at watermark kept per database."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.since: dict[str, tuple[str, set[int]]] = {}

    def collect(self, database: str, db: Any) -> None:
        with self.lock:
            since, seen = self.since.get(database, (iso(utcnow()) or "", set()))
            rows = [r for r in sent_since(db, since) if r[0] not in seen]
            for _id, _sent, seconds in rows:
                LATENCY.observe(seconds)
            if rows:
                newest = rows[-1][1]
                seen = (seen if newest == since else set()) | {
                    r[0] for r in rows if r[1] == newest}
                since = newest
            self.since[database] = (since, seen)


_LATENCY = _LatencyWatch()


def observe_delivery(counts: dict[str, int], seconds: float, database: str | None = None,
                     db: Any = None) -> None:
    for status, n in counts.items():
        if n:
            ALERTS.labels(status=status).inc(n)
    DELIVERY_SECONDS.observe(seconds)
    if db is not None and database is not None:
        # Metrics never break delivery; the next batch catches up.
        with contextlib.suppress(sqlite3.Error):
            _LATENCY.collect(database, db)


def set_build(version: str, model: str | None) -> None:
    BUILD.clear()
    BUILD.labels(version=version, model=model or "unknown").set(1)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(self, config: Callable[[], Config]) -> None:
        self.config = config

    def collect(self) -> Iterator[GaugeMetricFamily]:
        cfg = self.config()
        pending = GaugeMetricFamily("monitor_pending_alerts", "Alerts waiting to be delivered.")
        up = GaugeMetricFamily("monitor_source_up", "1 when the source's last poll succeeded.",
                               labels=["source"])
        last = GaugeMetricFamily("monitor_source_last_poll_timestamp_seconds",
                                 "Unix time of the source's last poll.", labels=["source"])
        try:
            db = connect(cfg.database)
            try:
                pending.add_metric([], pending_count(db))
                rows = all_rows(db)
            finally:
                db.conn.close()
        except (OSError, sqlite3.Error):
            return  # /healthz says why; a scrape without these gauges is the signal here
        for src in cfg.sources:
            if not src.enabled:
                continue
            row = rows.get(src.name, {})
            ok = bool(row.get("last_polled")) and not int(str(row.get("consecutive_failures")
                                                               or 0))
            up.add_metric([src.name], 1.0 if ok else 0.0)
            polled = parse_iso(str(row["last_polled"])) if row.get("last_polled") else None
            if polled is not None:
                last.add_metric([src.name], polled.timestamp())
        yield pending
        yield up
        yield last


_collector: DatabaseCollector | None = None


def watch_database(config: Callable[[], Config]) -> None:
    """Register the scrape-time gauges (once per process; the config source may change)."""
    global _collector
    if _collector is None:
        _collector = DatabaseCollector(config)
        REGISTRY.register(_collector)
    else:
        _collector.config = config
