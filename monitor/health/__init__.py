"""Source health: when to poll next, and when to tell an operator something is wrong.

Polite polling: after consecutive failures a source is left alone for
exponentially longer (with jitter, capped), and a server's Retry-After is
always honoured.  Ops alerts are edge-triggered: one when a source becomes
unhealthy, one when it recovers.

`state` holds the pure decisions, `record` applies them to the database after
each poll, `report` builds the health table.  The public names are re-exported
here so callers keep importing `monitor.health`.
"""

from __future__ import annotations

from monitor.health.record import after_poll
from monitor.health.report import health_table
from monitor.health.state import (
    BACKOFF_CAP,
    FAILING,
    JITTER,
    MIN_HISTORY,
    SILENT,
    next_poll_after,
    typical_gap,
)

__all__ = [
    "BACKOFF_CAP",
    "FAILING",
    "JITTER",
    "MIN_HISTORY",
    "SILENT",
    "after_poll",
    "health_table",
    "next_poll_after",
    "typical_gap",
]
