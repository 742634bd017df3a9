"""One poll: fetch -> dedup -> classify -> store (+ outbox rows) -> deliver.

IO sits at the edges (sources, store, alert); this module only decides the
order and what counts as new.  Every outbox row is committed together with its
item before any delivery is attempted, so a crash can delay an alert but not
lose it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import sqlite_utils

from monitor import health, ops, retention, routing, stories
from monitor.alert import DeliveryReport, Sinks, build_sinks, deliver_pending, targets_for
from monitor.config import Config, SourceConfig
from monitor.errors import StoreError
from monitor.models import FetchResult, Item
from monitor.seams import Classifier

if TYPE_CHECKING:
    from monitor.classify.workers import Prepared
from monitor.sources import Enricher, fetch_all, follow_new
from monitor.store import parse_iso, story_index, utcnow
from monitor.store.items import (
    AlertRequest,
    decode_facts,
    find_existing,
    insert_item,
    record_sighting,
)
from monitor.store.search import index_backlog
from monitor.store.sources import SourceState, ensure_source, get_states
from monitor.store.tx import db_path, store_error, store_errors, transaction

log = logging.getLogger(__name__)

STORY_WINDOW = timedelta(days=3)


@dataclass
class SourceOutcome:
    source: str
    status: str
    new_items: int = 0
    alerts: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    store_fault: StoreError | None = None  # fetched, but the database refused it


@dataclass
class PollReport:
    outcomes: list[SourceOutcome] = field(default_factory=list)

    @property
    def new_items(self) -> int:
        return sum(o.new_items for o in self.outcomes)

    @property
    def failed(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def store_fault(self) -> StoreError | None:
        return next((o.store_fault for o in self.outcomes if o.store_fault), None)


def should_alert(item: Item, state: SourceState, now: datetime, backlog: timedelta) -> bool:
    """Backlog rule: stale items are stored but never interrupt anyone.

    On a source's first successful poll an undated entry counts as backlog: we
    cannot tell it from years-old news.  Later, undated entries are new by
    definition, since we had not seen them before.
    """
    first_poll = state.first_success is None
    if item.published is None:
        return not first_poll
    return now - item.published <= backlog


class Pipeline:
    def __init__(
        self,
        config: Config,
        db: sqlite_utils.Database,
        classifier: Classifier,
        *,
        sinks: Sinks | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        env: dict[str, str] | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.classifier = classifier
        self.transport = transport
        self.clock = clock
        self.sinks = sinks if sinks is not None else build_sinks(config, env or dict(os.environ))

    # -- poll ---------------------------------------------------------------
    def due(self, now: datetime, force: bool = False,
            only: Sequence[SourceConfig] | None = None) -> list[SourceConfig]:
        """Enabled sources (of `only`, default all) whose backoff window has passed."""
        enabled = [src for src in (self.config.sources if only is None else only)
                   if src.enabled]
        states = self.states(enabled)
        return [src for src in enabled if force or _due(states[src.name], now)]

    def states(self, sources: Sequence[SourceConfig]) -> dict[str, SourceState]:
        """The sources' stored state, in one read; rows are created (or their URL updated)
        first.  Reads only, unless a row is missing or its URL changed: a poll must not
        need the write lock for every configured source."""
        with store_errors(self.db):
            for src in sources:
                ensure_source(self.db, src.name, src.url, src.kind)
            return get_states(self.db, [src.name for src in sources])

    def poll(self, sources: Sequence[SourceConfig] | None = None) -> PollReport:
        started = time.monotonic()
        now = self.clock()
        todo = list(sources) if sources is not None else self.due(now)
        states = self.states(todo)
        validators = {name: state.validators for name, state in states.items()}
        results = fetch_all(todo, validators, self.config.defaults, transport=self.transport,
                            enrich=self.enricher(now))
        report = PollReport()
        for src, result in zip(todo, results, strict=True):
            report.outcomes.append(self.absorb(src, states[src.name], result))
        ops.poll_cycle(report.outcomes, time.monotonic() - started)  # one event + metrics
        self.after_cycle(now)
        return report

    def after_cycle(self, now: datetime) -> None:
        """Housekeeping once every source was polled: retention, then the items of the
        cycle join the search index in one bulk insert."""
        if any(retention.prune_if_due(self.db, self.config, now) or ()):
            story_index.forget(self.db)  # pruned items may still be remembered
        with store_errors(self.db):
            index_backlog(self.db)

    def enricher(self, now: datetime) -> Enricher:
        """html sources with `follow: true` fetch article pages only for entries we lack."""
        return follow_new(lambda it: find_existing(self.db, it, now) is not None)

    def prepare(self, src: SourceConfig, now: datetime) -> SourceState | None:
        """The source's state when it is due (backoff / Retry-After passed), else None."""
        return self.prepare_many([src], now)[src.name]

    def prepare_many(self, sources: Sequence[SourceConfig], now: datetime,
                     ) -> dict[str, SourceState | None]:
        """`prepare` for many sources in one read, where a `run --once` over 1,000 sources
        made 1,000 trips to the ingest thread."""
        return {name: state if _due(state, now) else None
                for name, state in self.states(sources).items()}

    def absorb(self, src: SourceConfig, state: SourceState, result: FetchResult,
               prepared: Mapping[str, Prepared] | None = None) -> SourceOutcome:
        """Store one poll as ONE transaction: items, sightings, alerts, validators, health.

        If any part fails nothing is kept, the new ETag/Last-Modified included,
        so the next poll fetches the same entries again instead of a 304.
        `prepared` (item id -> verdict and story keys) was made elsewhere (a worker
        process) with this pipeline's model; items without it are classified here.
        """
        now = self.clock()
        outcome = SourceOutcome(src.name, result.status, error=result.error,
                                warnings=list(result.warnings))
        try:
            with transaction(self.db):
                if result.ok:
                    for item in result.items:
                        queued = self.ingest(item, state, now,
                                             prepared.get(item.id) if prepared else None)
                        if queued is not None:
                            outcome.new_items += 1
                            outcome.alerts += queued
                health.after_poll(self.db, self.config, src, result, now, outcome.new_items)
        except (StoreError, sqlite3.Error) as e:
            fault = e if isinstance(e, StoreError) else store_error(e, db_path(self.db))
            out = self._not_stored(src, result, now, str(fault), outcome.warnings)
            out.store_fault = fault
            return out
        except Exception as e:  # a bug on one hostile entry must not stop the other sources
            log.exception("source %s: poll not stored", src.name)
            return self._not_stored(src, result, now, f"internal error: {type(e).__name__}: {e}",
                                    outcome.warnings)
        for warning in outcome.warnings:
            log.warning("source %s: %s", src.name, warning)
        if result.status == "error":
            log.warning("source %s failed: %s", src.name, result.error)
        return outcome

    def _not_stored(self, src: SourceConfig, result: FetchResult, now: datetime, cause: str,
                    warnings: list[str]) -> SourceOutcome:
        """The poll's data was rolled back: record a failed poll (if the database lets us)."""
        error = f"fetched but not stored, will fetch again: {cause}"
        log.error("source %s: %s", src.name, error)
        failed = FetchResult(source=src.name, status="error", error=error[:500],
                             http_status=result.http_status)
        try:
            with transaction(self.db):
                health.after_poll(self.db, self.config, src, failed, now, 0)
        except (StoreError, sqlite3.Error):
            pass  # the same fault, already logged once
        return SourceOutcome(src.name, "error", error=error, warnings=warnings)

    def ingest(self, item: Item, state: SourceState, now: datetime,
               prepared: Prepared | None = None) -> int | None:
        """Store `item` if new; return the number of alerts queued, None if already known."""
        existing = find_existing(self.db, item, now)
        if existing is not None:
            # Syndication or a changed GUID: remember the extra sighting, alert nothing.
            record_sighting(self.db, existing, item, now)
            return None
        if prepared is None:
            verdict = self.classifier.classify(item.title, item.summary, item.lang)
            keys = stories.story_keys(item.title_key, verdict.facts)
        else:
            verdict, keys = prepared
        by_facts = stories.links_by_facts(verdict.facts)  # else others' facts are not read
        story = stories.assign_story(item.title_key, verdict.facts, [
            (i, sid, tk, decode_facts(facts) if by_facts else {})
            for i, sid, tk, facts in story_index.story_candidates(self.db, keys,
                                                                  now - STORY_WINDOW)])
        requests: list[AlertRequest] = []
        if should_alert(item, state, now, self.config.backlog()):
            for r in routing.route(item, verdict, self.config):
                requests.extend(
                    AlertRequest(r.channel, r.reason, target)
                    for target in targets_for(self.config, r.channel)
                )
        insert_item(self.db, item, verdict, requests, now, story_id=story,
                    model_version=self.classifier.version, story_keys=keys)
        return len(requests)

    # -- deliver ------------------------------------------------------------
    def deliver(self, budget: float | None = None, ignore_backoff: bool = False) -> DeliveryReport:
        started = time.monotonic()
        with store_errors(self.db):
            report = deliver_pending(self.db, self.config, self.sinks, now=self.clock,
                                     budget=budget, ignore_backoff=ignore_backoff)
        ops.delivery_batch(report, time.monotonic() - started, self.config.database, self.db)
        return report

    def run_once(self) -> tuple[PollReport, DeliveryReport]:
        """`run --once`: poll everything, then try every pending alert once, backoff or not."""
        report = self.poll()
        return report, self.deliver(ignore_backoff=True)


def _due(state: SourceState, now: datetime) -> bool:
    """Whether backoff or a Retry-After lets the source be polled now."""
    after = parse_iso(state.next_poll_after)
    return after is None or after <= now
