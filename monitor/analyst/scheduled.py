"""Post `monitor report` on the schedule of the config's `report:` block.

`run_due_report(config)` is the one entry point the scheduler calls (every few
minutes is plenty): it posts the latest scheduled report unless the database
says it went out already.  The summary goes out as a message (chat.postMessage,
which accepts channel names and answers with the channel ID), then the
Markdown report and the PNG chart are uploaded into its thread with
files_upload_v2.  A retry after a failed upload re-sends only the files.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import urllib.error
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils
from slack_sdk.errors import SlackApiError

from monitor.alert.format import Message, escape, link
from monitor.alert.sinks import build_sinks
from monitor.alert.slack import PERMANENT
from monitor.analyst import report as rpt
from monitor.config import Config, ReportConfig
from monitor.errors import MonitorError
from monitor.store import iso, open_db, utcnow
from monitor.store.corrections import weekly_feedback
from monitor.store.review import alert_rows, quiet_sources, record_report, report_state
from monitor.store.review import top_stories as stories_since

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_ATTEMPTS = 5


def due_period(cfg: ReportConfig, now: datetime) -> datetime:
    """The latest scheduled moment at or before `now`, in UTC."""
    local = now.astimezone(ZoneInfo(cfg.timezone))
    hour, minute = (int(x) for x in cfg.time.split(":"))
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if cfg.every == "weekly":
        moment -= timedelta(days=(local.weekday() - WEEKDAYS.index(cfg.day)) % 7)
    if moment > local:
        moment -= timedelta(days=7 if cfg.every == "weekly" else 1)
    return moment.astimezone(UTC)


def _top(counter: Mapping[str, int], n: int = 5) -> str:
    items = sorted(counter.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{escape(k)} {v}" for k, v in items) or "none"


def summary(report: rpt.Report) -> Message:
    """Slack mrkdwn: the headline numbers and the top stories (titles escaped)."""
    lines = [f"*Export-control monitor: {report.period}*",
             f"{report.alerts} alerts about {report.items} items.",
             f"Topics: {_top(report.by['topic'])}",
             f"Jurisdictions: {_top(report.by['jurisdiction'])}",
             f"Channels: {_top(report.by['channel'])}"]
    if report.stories:
        lines.append("Top stories:")
        lines += [f"• {link(s.get('url'), str(s['title']), 150)} ({s['outlets']} outlets)"
                  for s in report.stories[:5]]
    if report.quiet:
        lines.append("Quiet sources: " + ", ".join(escape(str(q["name"])) for q in report.quiet))
    return Message(text="\n".join(lines))


def build_for(db: sqlite_utils.Database, cfg: ReportConfig, now: datetime) -> rpt.Report:
    start = now - timedelta(seconds=cfg.since)
    return rpt.build(alert_rows(db, start), stories_since(db, start), quiet_sources(db, start),
                     start, now, feedback=weekly_feedback(db, start, now))


def post_due_report(config: Config, db: sqlite_utils.Database, env: Mapping[str, str],
                    now: datetime) -> str | None:
    """Post the due report if it has not gone out; return its period (UTC ISO) when sent."""
    cfg = config.report
    if cfg is None:
        return None
    period = iso(due_period(cfg, now)) or ""
    state = report_state(db, cfg.channel, period) or {}
    if state.get("status") in ("sent", "failed"):
        return None
    report = build_for(db, cfg, now)
    sink = build_sinks(config, env).slack
    ts, channel_id = state.get("ts"), state.get("channel_id")
    try:
        if not ts:
            receipt = sink.post(cfg.channel, summary(report))
            if not receipt.ok:
                raise _Failed(receipt.error or "unknown error", receipt.permanent)
            ts, channel_id = receipt.ts, receipt.channel_id
        client = getattr(sink, "client", None)
        if client is not None:  # Slack; the console has no files
            _upload(client, channel_id or cfg.channel, ts, report, cfg, period)
    except _Failed as e:
        give_up = e.permanent or int(state.get("attempts") or 0) + 1 >= MAX_ATTEMPTS
        record_report(db, cfg.channel, period, now, "failed" if give_up else "pending", ts=ts,
                      channel_id=channel_id, error=e.error)
        log.error("report for %s to %s not posted: %s", period, cfg.channel, e.error)
        return None
    record_report(db, cfg.channel, period, now, "sent", ts=ts, channel_id=channel_id)
    return period


class _Failed(Exception):
    def __init__(self, error: str, permanent: bool = False) -> None:
        super().__init__(error)
        self.error, self.permanent = error, permanent


def _upload(client: Any, channel_id: str, ts: str | None, report: rpt.Report,
            cfg: ReportConfig, period: str) -> None:
    day = period[:10]
    with tempfile.TemporaryDirectory(prefix="monitor-report-") as tmp:
        uploads: list[dict[str, Any]] = [{"content": rpt.markdown(report),
                                          "filename": f"export-controls-{day}.md",
                                          "title": f"Report {report.period}"}]
        if cfg.png:
            png = rpt.chart(report, Path(tmp) / f"export-controls-{day}.png")
            uploads.append({"file": str(png), "filename": png.name,
                            "title": f"Alerted items per day, {report.period}"})
        try:
            client.files_upload_v2(channel=channel_id, thread_ts=ts, file_uploads=uploads)
        except SlackApiError as e:
            error = str(e.response.get("error") or "")
            raise _Failed(error or "upload failed", error in PERMANENT) from e
        except (urllib.error.URLError, OSError) as e:
            raise _Failed(f"connection error: {e}") from e


def run_due_report(config: Config, env: Mapping[str, str] | None = None,
                   clock: Callable[[], datetime] = utcnow) -> str | None:
    """Scheduler job: post the due report, log (never raise) on trouble."""
    if config.report is None:
        return None
    try:
        db = open_db(config.database)
        return post_due_report(config, db, dict(os.environ) if env is None else env, clock())
    except (MonitorError, sqlite3.Error) as e:
        log.error("scheduled report failed: %s", e)
        return None
