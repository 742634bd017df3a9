"""Database faults in the long-running monitor: one line each, a notice when they last.

A locked, full or read-only database fails every job alike.  Each failure is
logged as one line naming the file and the cause (the StoreError message; no
traceback: the fault is expected, not a bug).  When failures go on for longer
than `grace`, the ops channel is told once, and once more when writes work
again.  The notice bypasses the outbox on purpose: the outbox lives in the very
database that is failing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from monitor.config import Config
from monitor.errors import StoreError
from monitor.store import utcnow

log = logging.getLogger(__name__)

GRACE = timedelta(minutes=2)


class FaultWatch:
    def __init__(self, notify: Callable[[str], None], grace: timedelta = GRACE,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.notify, self.grace, self.clock = notify, grace, clock
        self.since: datetime | None = None
        self.announced = False
        self.last: str = ""
        self._lock = threading.Lock()

    def failed(self, job: str, error: StoreError, *, logged: bool = False) -> None:
        if not logged:
            log.error("%s: %s", job, error)
        with self._lock:
            now = self.clock()
            self.since = self.since or now
            self.last = str(error)
            due = not self.announced and now - self.since >= self.grace
            self.announced = self.announced or due
            since = self.since
        if due:
            self._send(f"database failing since {since:%Y-%m-%d %H:%M:%S} UTC: {error}. "
                       "Polls are not stored and alerts not delivered until it is fixed; "
                       "nothing is lost, fetched entries are fetched again.")

    def succeeded(self) -> None:
        with self._lock:
            if self.since is None:
                return
            since, announced, last = self.since, self.announced, self.last
            self.since, self.announced = None, False
        log.info("database writable again (failing since %s)", f"{since:%H:%M:%S}")
        if announced:
            self._send(f"database writable again after {self.clock() - since} "
                       f"(last error: {last})")

    def _send(self, text: str) -> None:
        try:
            self.notify(text)
        except Exception as e:  # Slack down too: the log line above is all we can do
            log.error("could not send the database notice: %s", type(e).__name__)


def ops_notifier(config_of: Callable[[], Config]) -> Callable[[str], None]:
    """Post straight to the ops channel (Slack, or the console without a token)."""

    def notify(text: str) -> None:
        from monitor.alert.format import ops_message
        from monitor.alert.sinks import build_sinks

        cfg = config_of()
        sinks = build_sinks(cfg, dict(os.environ))
        sinks.slack.post(cfg.alerts.ops_channel or cfg.alerts.channel, ops_message(text))

    return notify
