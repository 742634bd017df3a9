"""`defaults.retention`: old items leave the database unless someone still needs them.

Kept whatever their age: items with a pending alert (or one held for a digest)
and items an analyst corrected (training data).  Pruning runs at most once per
PRUNE_EVERY per database and process, after a poll cycle, in one transaction.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import sqlite_utils

from monitor import logs
from monitor.config import Config
from monitor.store.ops import prune

PRUNE_EVERY = 6 * 3600.0  # seconds

_last: dict[str, float] = {}
_lock = threading.Lock()
log = logs.get_logger("monitor.retention")


def prune_if_due(db: sqlite_utils.Database, cfg: Config, now: datetime) -> tuple[int, int] | None:
    """Prune when retention is set and the last prune is old enough; (items, alerts) or None."""
    keep = cfg.defaults.retention
    if keep is None:
        return None
    with _lock:
        last = _last.get(cfg.database)
        if last is not None and time.monotonic() - last < PRUNE_EVERY:
            return None
        _last[cfg.database] = time.monotonic()
    return prune_now(db, cfg, now)


def prune_now(db: sqlite_utils.Database, cfg: Config, now: datetime) -> tuple[int, int]:
    keep = cfg.defaults.retention or 0.0
    before = now - timedelta(seconds=keep)
    started = time.monotonic()
    items, alerts = prune(db, before)
    if items or alerts:
        log.info("retention_pruned", items=items, alerts=alerts, before=before.isoformat(),
                 duration_s=round(time.monotonic() - started, 3))
    return items, alerts
