"""`monitor run`: one event loop schedules every source, one HTTP client fetches for all.

Where the work happens:

* the asyncio loop (main thread): APScheduler's jobs (jobs.py), every fetch
  through one shared client (keep-alive, `per_host` across sources), config
  reload, signals, and the start/stop hooks of other long-running components;
* worker processes (classify/workers.py): the new items of each poll are classified
  there, on the other cores, while the ingest thread stores the previous source;
* one ingest thread: store (SQLite is synchronous; one writer thread keeps
  transactions from queueing on the lock), classifying whatever the workers did not;
* one delivery thread: posting is blocking and may pace or back off.

Each thread has its own SQLite connection; writers take turns (store/tx.py), so
delivery keeps posting while a big poll is stored.  A poll that commits alerts
wakes delivery at once; a timer still runs it every DELIVERY_EVERY seconds for
retries.  Shutdown (SIGTERM/SIGINT):
fetches in flight are cancelled, the transaction being written finishes, delivery
gets one last bounded attempt, the process is gone within SHUTDOWN_LIMIT seconds;
a second signal exits at once.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import sqlite_utils

from monitor import ops
from monitor.alert import DeliveryReport
from monitor.classify.workers import ClassifyPool
from monitor.config import Config, ConfigWatcher, SourceConfig
from monitor.cycle import PollCycle
from monitor.dbfaults import FaultWatch, ops_notifier
from monitor.errors import MonitorError, StoreError
from monitor.jobs import new_scheduler, schedule_sources
from monitor.models import Item
from monitor.pipeline import Pipeline, SourceOutcome
from monitor.seams import Classifier, ClassifierFactory, PipelineFactory
from monitor.sources import SharedPoller, follow_new
from monitor.store import open_db, utcnow
from monitor.store.items import find_existing
from monitor.store.sources import SourceState

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

DELIVERY_EVERY = 10.0  # seconds: retries and paced posts drain between polls
RELOAD_EVERY = 5.0
SHUTDOWN_LIMIT = 9.0  # seconds from the first signal to exit, whatever is still running
FINAL_DELIVERY_BUDGET = 4.0  # the last delivery attempt on shutdown
CYCLE_EVERY = 60.0  # seconds: at most this long between two poll_cycle events
# Polls fetched and waiting to be stored, beyond those fetching: bounds the memory
# held by parsed feeds when the network outruns the ingest thread (1,000 feeds).
STORE_BACKLOG = 32

# The ingest thread's page cache.  Storing an item touches random pages of the story-key
# and dedup indexes; with SQLite's 2 MB default, once the database outgrew it (1,000 feeds,
# 30,000 items) each insert read pages back from the OS and ingest slowed by a third.
INGEST_CACHE_MB = 32
INGEST_CACHE_ENV = "MONITOR_INGEST_CACHE_MB"


def ingest_cache_mb() -> int:
    """INGEST_CACHE_MB, or the operator's MONITOR_INGEST_CACHE_MB (0: SQLite's default)."""
    value = os.environ.get(INGEST_CACHE_ENV, "").strip()
    return int(value) if value.isdigit() else INGEST_CACHE_MB


T = TypeVar("T")
Hook = Callable[[], Awaitable[None]]


class Monitor:
    """The long-running process.  Other components (an ops HTTP listener, a Slack
    Socket Mode client, ...) plug in with `add_component(name, start, stop)`: both
    are coroutines run on the monitor's loop, started after the scheduler and
    stopped, in reverse order, before the last delivery."""

    def __init__(self, watcher: ConfigWatcher, classifier_for: ClassifierFactory,
                 pipeline_factory: PipelineFactory, *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.watcher = watcher
        self.classifier_for = classifier_for
        self.pipeline_factory = pipeline_factory
        self.transport = transport  # tests: an httpx.AsyncBaseTransport for the shared client
        self.classifier = classifier_for(watcher.config)
        self.components: list[tuple[str, Hook, Hook]] = []
        self.scheduler: AsyncIOScheduler | None = None
        self.poller: SharedPoller | None = None
        self._ingest = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ingest")
        self._delivery = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="delivery")
        self._local = threading.local()
        self._generation = 0  # bumped by a config reload: threads rebuild their pipeline
        self._polls: set[asyncio.Task[Any]] = set()
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._signals = 0
        self._read_db: sqlite_utils.Database | None = None
        self.delivered = DeliveryReport()
        self.db_faults = FaultWatch(ops_notifier(lambda: self.config))
        self._cycle = PollCycle(CYCLE_EVERY)  # polls since the last poll_cycle event
        self._once = False
        self._workers: ClassifyPool | None = None  # set up in _start, rebuilt with the model
        self._slots: asyncio.Semaphore | None = None  # polls between fetch and commit

    @property
    def config(self) -> Config:
        return self.watcher.config

    def set_classifier(self, classifier: Classifier) -> None:
        """Swap the model (a retrain, `monitor model use`): threads rebuild their pipeline."""
        self.classifier = classifier
        self._generation += 1
        self._new_workers()

    def _new_workers(self) -> None:
        """Worker processes for the current model (the old ones, if any, are stopped)."""
        if self._workers is not None:
            self._workers.close()
        self._workers = ClassifyPool.for_classifier(self.classifier)

    def add_component(self, name: str, start: Hook, stop: Hook) -> None:
        self.components.append((name, start, stop))

    # -- work in the threads ------------------------------------------------------
    def _pipeline(self, writer: bool = False) -> Pipeline:
        """This thread's pipeline (and SQLite connection), rebuilt after a config reload.
        The ingest thread (`writer`) gets a bigger page cache: see INGEST_CACHE_MB."""
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            old: Pipeline | None = getattr(local, "pipe", None)
            if old is not None:
                old.db.conn.close()
            db = open_db(self.config.database, ingest_cache_mb() if writer else None)
            local.pipe = self.pipeline_factory(self.config, db, self.classifier)
            local.generation = self._generation
        pipe: Pipeline = local.pipe  # threading.local holds untyped attributes
        return pipe

    async def _in(self, pool: concurrent.futures.Executor, work: Callable[[Pipeline], T]) -> T:
        # Shielded: a cancelled poll never abandons a transaction half-way.
        loop = asyncio.get_running_loop()
        writer = pool is self._ingest
        return await asyncio.shield(loop.run_in_executor(
            pool, lambda: work(self._pipeline(writer))))

    def _is_known(self, now: datetime) -> Callable[[Item], bool]:
        """Known-item check (`follow: true`, worker batches) on the loop's read connection."""
        if self._read_db is None:
            self._read_db = open_db(self.config.database)
        db = self._read_db
        return lambda item: find_existing(db, item, now) is not None

    # -- jobs -----------------------------------------------------------------------
    async def poll_source(self, name: str) -> None:
        src = next((s for s in self.config.sources if s.name == name), None)
        if src is None or not src.enabled:
            return
        try:
            await self._poll(src)
        except MonitorError as e:
            log.error("poll of %s failed: %s", name, e)

    async def _poll(self, src: SourceConfig,
                    states: Mapping[str, SourceState | None] | None = None,
                    ) -> SourceOutcome | None:
        """Fetch on the loop, store in the ingest thread; the SourceOutcome, or None if not due.
        `states`: source states read ahead for many polls (else read for this one)."""
        if self._stopping or self.poller is None or self._slots is None:
            return None
        task = asyncio.current_task()
        if task is not None:
            self._polls.add(task)
        try:
            async with self._slots:  # fetching must not run far ahead of storing
                return await self._poll_stages(src, self.poller, states)
        except asyncio.CancelledError:
            log.info("poll of %s cancelled by shutdown", src.name)
            return None
        finally:
            if task is not None:
                self._polls.discard(task)

    async def _poll_stages(self, src: SourceConfig, poller: SharedPoller,
                           states: Mapping[str, SourceState | None] | None,
                           ) -> SourceOutcome | None:
        now = utcnow()
        try:
            state = (states[src.name] if states is not None and src.name in states else
                     await self._in(self._ingest, lambda p: p.prepare(src, now)))
        except StoreError as e:
            self.db_faults.failed(f"poll of {src.name}", e)
            return None
        if state is None:
            return None  # backoff or Retry-After not over yet
        enrich = follow_new(self._is_known(now)) if src.html and src.html.follow else None
        result = await poller.poll(src, state.validators, enrich)
        prepared = None  # new items' verdicts and story keys from a worker, else ingest's
        if self._workers is not None and result.ok and result.items:
            prepared = await self._workers.verdicts(result.items, self._is_known(now),
                                                    lambda: self.classifier.version)
        outcome = await self._in(self._ingest, lambda p: p.absorb(src, state, result, prepared))
        fault = outcome.store_fault
        if fault is not None:  # already logged by the pipeline, with the source
            self.db_faults.failed(f"poll of {src.name}", fault, logged=True)
        else:
            self.db_faults.succeeded()
        if (outcome.alerts or outcome.status == "error") and self._wake is not None:
            self._wake.set()  # new alerts (or an ops notice): deliver now
        await self._count(outcome)
        return outcome

    async def _count(self, outcome: SourceOutcome) -> None:
        """Add a poll to the current cycle; at its end: one event, metrics, housekeeping."""
        enabled = [s.name for s in self.config.sources if s.enabled]
        if self._cycle.add(outcome, asyncio.get_running_loop().time(), enabled) \
                and not self._once:
            await self._end_cycle()

    async def _end_cycle(self) -> None:
        ended = self._cycle.end(asyncio.get_running_loop().time())
        if ended is None:
            return
        ops.poll_cycle(*ended)
        now = utcnow()
        try:
            await self._in(self._ingest, lambda p: p.after_cycle(now))
        except MonitorError as e:
            log.error("retention or search indexing failed: %s", e)

    def deliver(self, budget: float | None = DELIVERY_EVERY * 3,
                ignore_backoff: bool = False) -> None:
        """One delivery run in the calling thread (the delivery thread)."""
        try:
            report = self._pipeline().deliver(budget=budget, ignore_backoff=ignore_backoff)
            self.db_faults.succeeded()
        except StoreError as e:
            self.db_faults.failed("delivery", e)
            return
        except MonitorError as e:
            log.error("delivery failed: %s", e)
            return
        self.delivered.add(report)

    async def _delivery_loop(self, drain: asyncio.Event | None = None) -> None:
        """Deliver when woken (or every DELIVERY_EVERY s); with `drain`, stop once it is set
        and a run has started after it: that run sees every alert committed before."""
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), DELIVERY_EVERY)
            if self._stopping:
                return
            last = drain is not None and drain.is_set()
            self._wake.clear()
            # `run --once` ends with one attempt at every pending alert, backoff or not.
            # The last run of `run --once` has no budget: nothing comes after it.
            await asyncio.shield(loop.run_in_executor(self._delivery, functools.partial(
                self.deliver, None if last else DELIVERY_EVERY * 3, ignore_backoff=last)))
            if last:
                return

    async def reload(self) -> None:
        if self.watcher.poll():
            log.info("config reloaded from %s", self.watcher.path)
            self.set_classifier(self.classifier_for(self.config))
            if self.poller is not None:
                self.poller.reconfigure(self.config.defaults)
                self._slots = asyncio.Semaphore(self.config.defaults.concurrency
                                                + STORE_BACKLOG)
            assert self.scheduler is not None
            schedule_sources(self.scheduler, self.config, self.poll_source)
        elif self.watcher.last_error is not None:
            log.error("config not reloaded, keeping the last good one:\n%s",
                      self.watcher.last_error)
            self.watcher.last_error = None

    def _close_workers(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None

    # -- life cycle -------------------------------------------------------------------
    @property
    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _on_signal(self, signum: int) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("second signal %s: exiting now", signum)
            logging.shutdown()
            os._exit(128 + signum)
        log.info("received signal %s, stopping (send it again to exit at once)", signum)
        if self._stop is not None:
            self._stop.set()

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        self.poller = SharedPoller(self.config.defaults, self.transport)
        self._slots = asyncio.Semaphore(self.config.defaults.concurrency + STORE_BACKLOG)
        self._new_workers()

    async def main(self) -> None:
        self._start()
        assert self._stop is not None
        self.scheduler = new_scheduler(asyncio.get_running_loop())
        schedule_sources(self.scheduler, self.config, self.poll_source)
        self.scheduler.add_job(self.reload, "interval", seconds=RELOAD_EVERY, id="reload")
        self.scheduler.add_job(self._report, "interval", minutes=5, id="report")
        self.scheduler.start()
        delivery = asyncio.create_task(self._delivery_loop())
        for name, start, _stop in self.components:
            log.info("starting %s", name)
            await start()
        await self._stop.wait()
        await self._shutdown(delivery)

    async def _report(self) -> None:
        from monitor.analyst.scheduled import run_due_report  # report: block, if configured

        cfg = self.config
        await asyncio.get_running_loop().run_in_executor(None, lambda: run_due_report(cfg))

    async def once(self) -> list[SourceOutcome]:
        """`run --once`: poll every due source, delivering while later sources are still
        being fetched and stored, then deliver what is left.  Returns the SourceOutcomes."""
        self._start()
        self._once = True
        assert self._wake is not None and self._stop is not None
        drain = asyncio.Event()
        delivery = asyncio.create_task(self._delivery_loop(drain))
        sources = [s for s in self.config.sources if s.enabled]
        now = utcnow()
        try:  # one read of every source's state, not one trip to the ingest thread each
            states = await self._in(self._ingest, lambda p: p.prepare_many(sources, now))
        except StoreError as e:
            self.db_faults.failed("reading the sources' state", e)
            states = None  # each poll tries on its own
        polls = asyncio.gather(*(self._poll(s, states) for s in sources))
        stopped = asyncio.create_task(self._stop.wait())
        first: list[asyncio.Future[Any]] = [polls, stopped]
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        if self._stopping:
            await self._shutdown(delivery)
            return []
        stopped.cancel()
        await self._end_cycle()  # the one poll_cycle event of this run
        drain.set()
        self._wake.set()
        await asyncio.wait([delivery, asyncio.create_task(self._stop.wait())],
                           return_when=asyncio.FIRST_COMPLETED)
        if self._stopping:
            await self._shutdown(delivery)
        else:
            assert self.poller is not None
            await self.poller.aclose()
            self._close_workers()
            await asyncio.get_running_loop().run_in_executor(None, self._ingest.shutdown)
        return [o for o in polls.result() if o is not None]

    async def _shutdown(self, delivery: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_LIMIT

        def left() -> float:
            return max(0.1, deadline - loop.time())

        assert self.poller is not None
        if self.scheduler is not None:  # None in `run --once`
            self.scheduler.shutdown(wait=False)
        for task in list(self._polls):
            task.cancel()  # fetches in flight; a transaction being written finishes
        if self._polls:
            await asyncio.wait(list(self._polls), timeout=left())
        for name, _start, stop in reversed(self.components):
            try:
                await asyncio.wait_for(stop(), left())
            except Exception:
                log.exception("stopping %s failed", name)
        delivery.cancel()
        try:
            # The ingest thread's last transaction, then one bounded delivery attempt
            # (after the delivery thread's current run, if any).
            await asyncio.wait_for(loop.run_in_executor(None, self._ingest.shutdown), left())
            final = loop.run_in_executor(self._delivery,
                                         lambda: self.deliver(FINAL_DELIVERY_BUDGET))
            await asyncio.wait_for(asyncio.shield(final), left())
            done = True
        except TimeoutError:
            done = False
        await self.poller.aclose()
        self._close_workers()
        if not done:
            # A post is stuck in the network: its attempt mark is committed, so the next
            # start reconciles it against Slack's history. Do not wait for the thread.
            log.warning("shutdown limit reached with work still running; pending alerts "
                        "are delivered at the next start")
            logging.shutdown()
            sys.stderr.flush()
            os._exit(0)

    def run_forever(self) -> None:
        asyncio.run(self.main())
        self._delivery.shutdown(wait=True)
        log.info("stopped")

    def run_once(self) -> tuple[list[SourceOutcome], DeliveryReport]:
        outcomes = asyncio.run(self.once())
        self._delivery.shutdown(wait=True)
        return outcomes, self.delivered
