"""Apply one poll's health decisions to the database, in one transaction.

The decisions themselves are pure (`monitor.health.state`); this module does the
reads and writes around them: the poll record, the source's item history (only
when silence must be judged), the ops notice in the outbox and the mark that it
was sent.
"""

from __future__ import annotations

import random
from datetime import datetime

import sqlite_utils

from monitor.config import Config, SourceConfig
from monitor.health.state import needs_silence_check, next_poll_after, silence, transition
from monitor.models import FetchResult
from monitor.store import parse_iso
from monitor.store.outbox import enqueue_ops
from monitor.store.sources import get_state, item_times, record_poll, set_ops_alerted
from monitor.store.tx import transaction


def after_poll(db: sqlite_utils.Database, cfg: Config, source: SourceConfig,
               result: FetchResult, now: datetime, new_items: int,
               rng: random.Random | None = None) -> None:
    """Record the poll and enqueue at most one ops message about a change of health.

    One transaction (or part of the caller's): the new health state, the ops
    notice and the mark that it was sent commit together or not at all.
    """
    with transaction(db):
        _after_poll(db, cfg, source, result, now, new_items, rng)


def _after_poll(db: sqlite_utils.Database, cfg: Config, source: SourceConfig,
                result: FetchResult, now: datetime, new_items: int,
                rng: random.Random | None) -> None:
    before = get_state(db, source.name)
    npa = next_poll_after(before, result, cfg.interval(source), now, rng)
    record_poll(db, result, now, new_items, npa)
    after = get_state(db, source.name)
    silent = None
    if needs_silence_check(after, result.ok, new_items, cfg.interval(source),
                           cfg.alerts.silence_factor, now):
        times = [t for t in (parse_iso(x) for x in item_times(db, source.name)) if t is not None]
        silent = silence(times, parse_iso(after.first_success), parse_iso(after.last_new_item),
                         cfg.interval(source), cfg.alerts.silence_factor, now)
    step = transition(source.name, before, after, result, new_items, npa, now,
                      cfg.alerts.failures_before_ops_alert, silent)
    if step.notice is not None:
        # Ops notices go to their own channel when one is set, else beside the alerts.
        channel = cfg.alerts.ops_channel or cfg.alerts.channel
        enqueue_ops(db, channel, step.notice.text, now, reason=step.notice.reason)
    if step.remark:
        set_ops_alerted(db, source.name, step.mark, health=step.health)
