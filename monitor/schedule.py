"""`monitor run`: APScheduler jobs, one per source, plus delivery and config reload.

Each job opens its own SQLite connection: sqlite3 connections must not cross
threads, and WAL lets the jobs read while one writes.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.classify import Classifier
from monitor.config import Config, ConfigWatcher, SourceConfig
from monitor.dbfaults import FaultWatch, ops_notifier
from monitor.errors import MonitorError, StoreError
from monitor.store import open_db, utcnow

log = logging.getLogger(__name__)

DELIVERY_EVERY = 10.0  # seconds: retries and paced posts drain between polls
RELOAD_EVERY = 5.0
JITTER_SHARE = 0.1  # spread polls so sources on one host do not fire together


class Monitor:
    def __init__(self, watcher: ConfigWatcher, classifier_for: Callable[[Config], Classifier],
                 pipeline_factory: Callable[..., object]) -> None:
        self.watcher = watcher
        self.classifier_for = classifier_for
        self.pipeline_factory = pipeline_factory
        self.classifier = classifier_for(watcher.config)
        self.scheduler = BackgroundScheduler(timezone="UTC",
                                             job_defaults={"coalesce": True, "max_instances": 1})
        self._stop = threading.Event()
        self.db_faults = FaultWatch(ops_notifier(lambda: self.config))

    @property
    def config(self) -> Config:
        return self.watcher.config

    def _pipeline(self) -> object:
        db = open_db(self.config.database)
        return self.pipeline_factory(self.config, db, self.classifier)

    def poll_source(self, name: str) -> None:
        src = next((s for s in self.config.sources if s.name == name), None)
        if src is None or not src.enabled:
            return
        try:
            pipe = self._pipeline()
            now = pipe.clock()  # type: ignore[attr-defined]
            fault = None
            if pipe.due(now, only=[src]):  # type: ignore[attr-defined]
                fault = pipe.poll([src]).store_fault  # type: ignore[attr-defined]
            if fault is not None:  # already logged by the pipeline, with the source
                self.db_faults.failed(f"poll of {name}", fault, logged=True)
            else:
                self.db_faults.succeeded()
        except StoreError as e:
            self.db_faults.failed(f"poll of {name}", e)
        except MonitorError as e:
            log.error("poll of %s failed: %s", name, e)

    def deliver(self) -> None:
        try:
            self._pipeline().deliver(budget=DELIVERY_EVERY * 3)  # type: ignore[attr-defined]
            self.db_faults.succeeded()
        except StoreError as e:
            self.db_faults.failed("delivery", e)
        except MonitorError as e:
            log.error("delivery failed: %s", e)

    def reload(self) -> None:
        if self.watcher.poll():
            log.info("config reloaded from %s", self.watcher.path)
            self.classifier = self.classifier_for(self.config)
            self._schedule_sources()
        elif self.watcher.last_error is not None:
            log.error("config not reloaded, keeping the last good one:\n%s",
                      self.watcher.last_error)
            self.watcher.last_error = None

    def _schedule_sources(self) -> None:
        wanted: dict[str, SourceConfig] = {s.name: s for s in self.config.sources if s.enabled}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("source:") and job.id[7:] not in wanted:
                job.remove()
        for name, src in wanted.items():
            interval = self.config.interval(src)
            existing = self.scheduler.get_job(f"source:{name}")
            # A source new to this run is polled now, not one interval from now.
            first = existing.next_run_time if existing is not None else utcnow()
            self.scheduler.add_job(
                self.poll_source, "interval", args=[name], id=f"source:{name}",
                seconds=interval, jitter=max(1, int(interval * JITTER_SHARE)),
                replace_existing=True, next_run_time=first,
            )

    def start(self) -> None:
        self._schedule_sources()
        self.scheduler.add_job(self.deliver, "interval", seconds=DELIVERY_EVERY, id="deliver")
        self.scheduler.add_job(self.reload, "interval", seconds=RELOAD_EVERY, id="reload")
        from monitor.analyst.scheduled import run_due_report  # report: block, if configured
        self.scheduler.add_job(lambda: run_due_report(self.config), "interval", minutes=5,
                               id="report")
        self.scheduler.start()

    def run_forever(self) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("received signal %s, stopping", signum)
            self._stop.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.start()
        try:
            self._stop.wait()
        finally:
            # Let running polls finish their transaction; nothing is half-written.
            self.scheduler.shutdown(wait=True)
