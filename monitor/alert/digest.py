"""Daily digests: low-score and keyword-only matches of a channel in one message."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlite_utils

from monitor.alert.format import Message, digest_message
from monitor.config import Config
from monitor.models import Alert
from monitor.store import outbox
from monitor.store.tx import transaction


def _due_day(now: datetime, digest_time: str, timezone: str) -> str | None:
    """The local date whose digest is due at `now`, or None before today's digest time."""
    local = now.astimezone(ZoneInfo(timezone))
    hh, mm = (int(x) for x in digest_time.split(":"))
    return local.date().isoformat() if local.time() >= time(hh, mm) else None


def prepare(db: sqlite_utils.Database, config: Config, now: datetime) -> int:
    """Hold qualifying alerts for their channel's digest; queue digests that are due."""
    held = 0
    for channel, settings in config.channels.items():
        if settings.digest != "daily":
            continue
        below = settings.digest_below
        held += outbox.move_to_digest(
            db, channel, config.alerts.threshold if below is None else below)
        day = _due_day(now, settings.digest_time, settings.timezone)
        if day is None:
            continue
        # One digest per day and target: apprise copies of a channel get their own.
        for target in outbox.digest_targets(db, channel):
            with transaction(db):  # check and create as one step: one digest even with two writers
                if outbox.digest_exists(db, channel, day, target):
                    continue  # later matches of the day wait for tomorrow's digest
                waiting = outbox.digest_waiting(db, channel, target)
                if waiting:
                    outbox.create_digest(db, channel, day, [int(str(r["id"])) for r in waiting],
                                         now, target)
    return held


def alert_ids(alert: Alert) -> list[int]:
    return [int(i) for i in (alert.payload or {}).get("alert_ids", [])]


def message(db: sqlite_utils.Database, alert: Alert) -> Message:
    ids = set(alert_ids(alert))
    rows = [r for r in outbox.digest_waiting(db, alert.channel, alert.target)
            if int(str(r["id"])) in ids]
    return digest_message(alert.channel, str((alert.payload or {}).get("day", "")), rows)
