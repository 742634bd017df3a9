"""Deliver pending alerts from the database, exactly once per (item, channel, target).

Order of operations for one alert: record the attempt (commit) → post → record
what the service confirmed (commit).  A crash in between leaves the attempt
mark; before posting such an alert again we look for its metadata tag in the
channel's history (read-back), so the service never shows it twice.

Decisions (see also the tests):
* Order per (target, channel) is id order: an alert in backoff holds back the
  later ones of its channel and no other channel.  A thread reply whose parent
  is not posted yet waits; it never becomes a second top-level message.
Everything below is decided from the `Receipt`'s kind (`monitor.models.Outcome`);
which service error is which kind is the sink's business (`alert/slack.py`).

* RETRY (429) → wait Retry-After (within the budget), not counted as an attempt.
  UNKNOWN (5xx, connection errors, internal_error …) → backoff `retry_backoff·2^n`,
  outcome unknown (read back first), `failed` after `max_attempts`.
* PERMANENT (bad channel, bad target) → `failed` + one ops notice per 24 h; AUTH
  (a refused token) leaves everything pending and stops that target for the run.
* BAD_LAYOUT → resent once as text; TOO_LONG → resent once shortened.
* The Slack sink does no retries of its own: every retry passes through here,
  where the read-back (`ReadBackSink`) guards against a double post.
* Console and apprise sinks cannot be read back: after an unknown outcome they
  post again (at-least-once for that rare case).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import NoReturn

import sqlite_utils

from monitor.alert import digest
from monitor.alert.format import Message, item_message, ops_message, shorten
from monitor.alert.report import DeliveryReport
from monitor.alert.sinks import SLACK, Sinks
from monitor.config import Config
from monitor.models import Alert, Outcome, ReadBackError, Receipt
from monitor.seams import ReadBackSink, Sink
from monitor.store import outbox, parse_iso, utcnow
from monitor.store.items import item_row, item_rows
from monitor.store.tx import retrying

log = logging.getLogger(__name__)

RECONCILE_MARGIN = 120.0  # seconds before the attempt mark to search history from
MAX_RATE_LIMIT_WAITS = 5  # per alert and run; then it stays pending for the next run
BACKOFF_CAP = 1800.0
# A claim older than this is a dead writer's (its lock is gone too); normally
# claims are released at once, and all of them when a run takes the lock.
CLAIM_LEASE = timedelta(minutes=15)
# Alerts of one channel claimed (and their items read) per transaction.
CLAIM_BATCH = 64
# Attempt marks committed at once, before the first of them is posted: one commit for
# a batch of posts, so posting keeps up while the ingest thread takes turns writing.
# The price is after a crash: each marked alert of the batch is read back before it
# is posted again, posted or not.
ATTEMPT_BATCH = 32
# Refusals of the payload's shape, not of the alert: resent once reduced.
_RESHAPE = (Outcome.TOO_LONG, Outcome.BAD_LAYOUT)
_SERVICE = {SLACK: "Slack"}  # how ops notices name a target's service


class _Stop(Exception):
    """Stop posting to this channel (or target) for the rest of the run."""

    def __init__(self, everything: bool = False) -> None:
        self.everything = everything


class Delivery:
    def __init__(self, db: sqlite_utils.Database, config: Config, sinks: Sinks,
                 clock: Callable[[], datetime], sleep: Callable[[float], None],
                 budget: float | None, ignore_backoff: bool = False) -> None:
        self.db, self.config, self.sinks = db, config, sinks
        self.ignore_backoff = ignore_backoff
        self.token = outbox.claim_token()
        self.clock, self.sleep = clock, sleep
        self.deadline = None if budget is None else time.monotonic() + budget
        self.report = DeliveryReport()
        self.last_post: dict[tuple[str, str], float] = {}
        self.claimed: dict[int, Alert] = {}  # fresh rows claimed ahead, not yet delivered
        self.rows: dict[str, dict[str, object]] = {}  # their items, read with the claim
        # Posts confirmed but not yet written: written with the next attempt marks
        # and at the end of the run.
        self.unwritten: list[outbox.Posted] = []
        # Attempt marks committed ahead of their post; given back at the end of the run
        # for those never posted.
        self.marked: set[int] = set()
        # Top-level posts of this run per (target, channel, story): their replies'
        # thread parent, without a query per reply.
        self.parents: dict[tuple[str, str, str], tuple[int, str]] = {}

    def _time_left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    # -- the run ----------------------------------------------------------------
    def run(self) -> DeliveryReport:
        try:
            return self._run()
        finally:
            try:
                self._write_posts()
            finally:
                self.claimed.clear()
                outbox.release_all(self.db, self.token, sorted(self.marked))

    def _run(self) -> DeliveryReport:
        self.report.digested += digest.prepare(self.db, self.config, self.clock())
        seen: set[int] = set()
        stopped: set[tuple[str, str]] = set()
        stopped_targets: set[str] = set()
        # A second pass delivers the ops notices that the first pass raised.
        for _ in range(2):
            queues: dict[tuple[str, str], list[Alert]] = {}
            for alert in outbox.pending(self.db):
                key = (alert.target, alert.channel)
                if alert.id not in seen and key not in stopped:
                    queues.setdefault(key, []).append(alert)
            if not queues:
                break
            while queues:
                # Channels are paced independently: serve whichever may post soonest,
                # so one channel's pause overlaps another's posts.
                key = min(queues, key=self._ready_at)
                target, channel = key
                alert = queues[key].pop(0)
                if not queues[key]:
                    del queues[key]
                if self._time_left() <= 0:
                    return self.report
                try:
                    if target in stopped_targets:
                        raise _Stop(everything=True)
                    self._hold_if_not_due(alert)
                    seen.add(alert.id)
                    self._claimed(alert, queues.get(key, []))
                except _Stop as stop:
                    stopped.add(key)
                    queues.pop(key, None)
                    if stop.everything:
                        stopped_targets.add(target)
                    log.info("delivery to %s paused for this run", channel)
        return self.report

    def _hold_if_not_due(self, alert: Alert) -> None:
        """In backoff: later alerts of the channel wait behind it (unless retrying all once)."""
        due = parse_iso(alert.next_attempt_at)
        if due is not None and due > self.clock() and not self.ignore_backoff:
            self.report.retrying += 1
            raise _Stop()

    def _claimed(self, alert: Alert, following: list[Alert]) -> None:
        """Deliver under a claim on the row, so no other writer posts it meanwhile.

        The claim is taken with the next few alerts of the channel (one transaction
        for CLAIM_BATCH alerts); it ends when the row is settled or the run ends.
        """
        fresh = self.claimed.pop(alert.id, None)
        if fresh is None:
            ahead = [a.id for a in following[:CLAIM_BATCH - 1] if a.id not in self.claimed]
            got = outbox.claim_many(self.db, [alert.id, *ahead], self.token, self.clock(),
                                    CLAIM_LEASE)
            self.rows.update(item_rows(self.db, [a.item_id for a in got.values()
                                                 if a.kind == "item" and a.item_id]))
            self.claimed.update(got)
            fresh = self.claimed.pop(alert.id, None)
        if fresh is None:
            # Another writer is on it (or just finished): it keeps this channel's order.
            log.info("alert %s is being delivered by another writer", alert.id)
            raise _Stop()
        self._hold_if_not_due(fresh)
        self._deliver(self.sinks.for_target(fresh.target, self.config), fresh)

    def _ready_at(self, key: tuple[str, str]) -> float:
        last = self.last_post.get(key)
        return float("-inf") if last is None else last + self.config.alerts.pace

    def _message(self, alert: Alert, in_thread: bool, feedback: bool = False) -> Message | None:
        if alert.kind == "ops":
            return ops_message(str((alert.payload or {}).get("text", "")))
        if alert.kind == "digest":
            return digest.message(self.db, alert)
        row = self.rows.pop(alert.item_id or "", None) or item_row(self.db, alert.item_id or "")
        return (item_message(row, alert.reason, in_thread=in_thread, feedback=feedback)
                if row else None)

    def _deliver(self, sink: Sink, alert: Alert) -> None:
        thread_ts = None
        if alert.kind == "item" and sink.supports_threads and alert.story_id:
            parent = self._parent(alert)
            if parent is not None:
                if parent["status"] != "sent" or not parent["ts"]:
                    self.report.waiting += 1  # never a second top-level message per story
                    return
                thread_ts = str(parent["ts"])
        if alert.attempt_started_at and self._already_posted(sink, alert, thread_ts):
            return
        message = self._message(alert, thread_ts is not None,
                                feedback=sink.feedback)
        if message is None:
            outbox.mark_failed(self.db, alert.id, "item no longer in the database")
            self.report.failed += 1
            return
        broadcast = self.config.channel_settings(alert.channel).broadcast_replies
        for _ in range(MAX_RATE_LIMIT_WAITS + 1):
            self._pace(alert)
            self._mark_attempt(alert)  # the attempt is committed before the post
            receipt = self._post(sink, alert, message, thread_ts, broadcast)
            self.last_post[(alert.target, alert.channel)] = time.monotonic()
            if receipt.kind is not Outcome.RETRY:
                break
            # Rate-limited: not posted. Wait as told when the run has time, else defer.
            # The wait is global, not per channel: services rate-limit the method.
            error = receipt.error or "rate limited"
            retry_after = receipt.retry_after or 1.0
            outbox.mark_retry(self.db, alert.id, error, None, not_posted=True)
            if retry_after > self._time_left():
                self._defer(alert, error, retry_after, unknown=False)
            self.sleep(retry_after)
        else:
            self._defer(alert, receipt.error or "rate limited", 5.0, unknown=False)
        self._settle(alert, receipt, thread_ts)

    def _parent(self, alert: Alert) -> dict[str, object] | None:
        """The story's first live alert in this channel (see outbox.story_parent)."""
        mine = self.parents.get((alert.target, alert.channel, alert.story_id or ""))
        if mine is not None and mine[0] < alert.id:
            return {"id": mine[0], "status": "sent", "ts": mine[1]}
        parent = outbox.story_parent(self.db, alert)
        if parent is not None and parent["status"] != "sent":
            posted = next((p for p in self.unwritten if p.alert_id == parent["id"]), None)
            if posted is not None:  # confirmed by the service, written with the next commit
                return {**parent, "status": "sent", "ts": posted.ts}
        return parent

    def _mark_attempt(self, alert: Alert) -> None:
        """Make sure `alert`'s attempt mark is committed; its post begins now.

        Unless an earlier batch marked it, mark it and the next claimed alerts of its
        channel (up to ATTEMPT_BATCH) in one commit, with the confirmations so far.
        """
        if alert.id in self.marked:
            self.marked.discard(alert.id)
            return
        ahead = [a.id for a in self.claimed.values()
                 if (a.target, a.channel) == (alert.target, alert.channel)
                 and a.id not in self.marked][:ATTEMPT_BATCH - 1]
        self._write_posts(attempts=[alert.id, *ahead])
        self.marked.update(ahead)

    def _write_posts(self, attempts: Sequence[int] = ()) -> None:
        """Write the confirmed posts, with the attempt marks of `attempts`.

        Only the attempt marks may fail the run: confirmations stay queued until a
        commit takes them, and at the end of a run they are retried through a busy
        or full database (losing one would make the read-back repost nothing, but
        cost a history call per alert).
        """
        if not self.unwritten and not attempts:
            return
        posted = list(self.unwritten)
        if not attempts:
            retrying(lambda: outbox.record_posts(self.db, posted), sleep=self.sleep)
        else:
            outbox.record_posts(self.db, posted, attempts, self.clock())
        del self.unwritten[:len(posted)]

    def _post(self, sink: Sink, alert: Alert, message: Message, thread_ts: str | None,
              broadcast: bool) -> Receipt:
        """One post, plus at most one reduced resend when the service rejects its shape."""
        def send(msg: Message, text_only: bool = False) -> Receipt:
            try:
                return sink.post(alert.channel, msg, alert_id=alert.id, thread_ts=thread_ts,
                                 broadcast=broadcast, text_only=text_only)
            except Exception as e:  # a sink bug must not stop other channels' delivery
                log.exception("sink %s failed on alert %s", sink.name, alert.id)
                return Receipt(Outcome.UNKNOWN, error=f"unexpected error: {e}")

        receipt = send(message)
        if receipt.kind not in _RESHAPE:
            return receipt
        # Too long: shorter text; bad layout: the text alone carries the alert.
        retry = (send(shorten(message)) if receipt.kind is Outcome.TOO_LONG
                 else send(message, text_only=True))
        if retry.kind in _RESHAPE:
            return replace(retry, kind=Outcome.PERMANENT)
        return retry

    def _already_posted(self, sink: Sink, alert: Alert, thread_ts: str | None) -> bool:
        """Outcome of an interrupted attempt: True if it is in the channel (now recorded).

        Service unreachable → the alert waits (raises _Stop); a permanent refusal
        to read back (e.g. a missing history scope) → we post again, accepting a
        possible duplicate over a lost alert.
        """
        started = parse_iso(alert.attempt_started_at)
        if not isinstance(sink, ReadBackSink) or started is None:
            return False  # console / apprise: no read-back, at-least-once
        try:
            ts = sink.find_posted(alert.channel, alert.id, started.timestamp() - RECONCILE_MARGIN,
                      thread_ts=thread_ts)
        except ReadBackError as e:
            if e.kind is Outcome.PERMANENT:
                log.warning("cannot read %s history for alert %s (%s); posting again",
                            alert.channel, alert.id, e.error)
                return False
            self._check_failed(alert, e.error, thread_ts)
            return True
        if ts is None:
            return False
        log.info("alert %s was already in %s (ts %s): recorded, not reposted",
                 alert.id, alert.channel, ts)
        self._settle(alert, Receipt(ts=ts), thread_ts)
        return True

    def _check_failed(self, alert: Alert, error: str, thread_ts: str | None) -> None:
        """The service could not say whether the interrupted post landed: wait (or give up).

        Counts as an attempt, so a channel whose history stays unreadable still
        reaches max_attempts instead of waiting forever.  Raises _Stop unless it gave up.
        """
        outbox.count_attempt(self.db, alert.id)
        self._settle(alert, Receipt(Outcome.UNKNOWN, error=f"history check failed: {error}"),
                     thread_ts)

    def _pace(self, alert: Alert) -> None:
        pace = self.config.alerts.pace
        last = self.last_post.get((alert.target, alert.channel))
        if pace > 0 and last is not None:
            wait = pace - (time.monotonic() - last)
            if wait > 0:
                self.sleep(wait)

    def _settle(self, alert: Alert, receipt: Receipt, thread_ts: str | None) -> None:
        now = self.clock()
        if receipt.ok:
            self.unwritten.append(outbox.Posted(alert.id, receipt.ts, now,
                                                receipt.channel_id, thread_ts))
            if alert.kind == "digest":
                self._write_posts()
                outbox.mark_digested(self.db, digest.alert_ids(alert), receipt.ts, now)
            elif alert.kind == "item" and thread_ts is None and alert.story_id and receipt.ts:
                self.parents.setdefault((alert.target, alert.channel, alert.story_id),
                                        (alert.id, receipt.ts))
            self.report.sent += 1
            return
        error = receipt.error or "unknown error"
        if receipt.kind is Outcome.AUTH:
            # A bad token fails every post alike: keep the alerts for when it is fixed.
            outbox.mark_retry(self.db, alert.id, receipt.explained, None, not_posted=True)
            self._ops(alert, error, f"{_SERVICE.get(alert.target, alert.target)} refused the "
                                    f"token ({receipt.explained}); alerts are kept pending "
                                    "until it is fixed", auth=True)
            self.report.retrying += 1
            raise _Stop(everything=True)
        if receipt.permanent:
            outbox.mark_failed(self.db, alert.id, receipt.explained)
            self.report.failed += 1
            self._ops(alert, error, f"could not post to {alert.channel}: {receipt.explained}")
            return
        attempts = alert.attempts + 1
        if attempts >= self.config.alerts.max_attempts:
            outbox.mark_failed(self.db, alert.id, f"gave up after {attempts} attempts: {error}")
            self.report.failed += 1
            self._ops(alert, "gave-up", f"gave up posting to {alert.channel} after {attempts} "
                                        f"attempts: {error}")
            return
        backoff = min(BACKOFF_CAP, self.config.alerts.retry_backoff * 2 ** (attempts - 1))
        self._defer(alert, error, backoff, unknown=True)

    def _defer(self, alert: Alert, error: str, seconds: float, *, unknown: bool) -> NoReturn:
        """Keep the alert pending and stop this channel so later alerts keep their order."""
        outbox.mark_retry(self.db, alert.id, error, self.clock() + timedelta(seconds=seconds),
                          outcome_unknown=unknown)
        self.report.retrying += 1
        raise _Stop()

    def _ops(self, alert: Alert, error: str, text: str, *, auth: bool = False) -> None:
        channel = self.config.alerts.ops_channel or self.config.alerts.channel
        if alert.kind == "ops" or (alert.target == SLACK and alert.channel == channel
                                   and not auth):
            # A notice about the ops channel, sent to that same channel, could only loop.
            log.error("%s (not announced: it concerns the ops channel itself)", text)
            return
        reason = f"ops:delivery:{alert.target}:{alert.channel}:{error}"
        now = self.clock()
        if outbox.ops_raised_since(self.db, reason, now - timedelta(hours=24)):
            return
        log.error("%s", text)
        outbox.enqueue_ops(self.db, channel, text, now, reason=reason)


def deliver_pending(db: sqlite_utils.Database, config: Config, sinks: Sinks, *,
                    now: Callable[[], datetime] | None = None,
                    sleep: Callable[[float], None] = time.sleep,
                    budget: float | None = None,
                    ignore_backoff: bool = False) -> DeliveryReport:
    """Post every due pending alert; returns counts. Never raises for a delivery failure.

    `ignore_backoff` (run --once) attempts alerts waiting out a retry backoff
    too, once each: a one-shot run has no later run to wait for.
    """
    return Delivery(db, config, sinks, now or utcnow, sleep, budget, ignore_backoff).run()
