"""`monitor export`, `monitor report`, `monitor schema`: the alert log and config, outward."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import click

from monitor.analyst import report as rpt
from monitor.analyst.common import open_store, since_start
from monitor.store import utcnow
from monitor.store.corrections import weekly_feedback
from monitor.store.review import alert_rows, quiet_sources, top_stories

EXPORT_COLUMNS = ("alert_id", "created_at", "item_id", "title", "url", "source", "published",
                  "lang", "topic", "item", "jurisdiction", "score", "relevant", "facts",
                  "channel", "reason", "target", "status", "attempts", "sent_at", "last_error",
                  "story_id")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def export_text(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps({k: r.get(k) for k in EXPORT_COLUMNS}, ensure_ascii=False)
                       + "\n" for r in rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        writer.writerow([_csv_cell(r.get(k)) for k in EXPORT_COLUMNS])
    return buf.getvalue()


@click.command("export")
@click.option("--since", default="7d", show_default=True,
              help="Alerts created within this window (e.g. 30d; 'all').")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write here instead of stdout.")
def export(since: str, fmt: str, output: str | None) -> None:
    """The alert log, one row per alert, with labels, facts and delivery status.

    Lists are ';'-joined in CSV; facts are JSON.  Delivery targets appear as
    their kind only (slack, console, apprise:<scheme>), never as URLs.  A CSV
    file written with --output starts with a byte-order mark so spreadsheet
    programs read Chinese and Japanese titles correctly.
    """
    _cfg, db = open_store()
    rows = alert_rows(db, since_start(since, utcnow()))
    text = export_text(rows, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    click.echo(f"{len(rows)} alerts written to {output}", err=True)


def build_report(db: Any, since: str) -> rpt.Report:
    now = utcnow()
    start = since_start(since, now)
    return rpt.build(alert_rows(db, start), top_stories(db, start),
                     quiet_sources(db, start), start, now,
                     feedback=weekly_feedback(db, start, now))


@click.command("report")
@click.option("--since", default="7d", show_default=True, help="The period (e.g. 7d, 30d).")
@click.option("--format", "fmt", type=click.Choice(["table", "md"]), default="table",
              show_default=True)
@click.option("--png", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write a chart of alerted items per day by topic.")
def report(since: str, fmt: str, png: str | None) -> None:
    """Alerts by topic, item, jurisdiction and channel; top stories; quiet sources."""
    _cfg, db = open_store()
    result = build_report(db, since)
    if fmt == "md":
        click.echo(rpt.markdown(result), nl=False)
    else:
        rpt.print_table(result)
    if png:
        rpt.chart(result, Path(png))
        click.echo(f"chart written to {png}", err=True)


@click.command("schema")
def schema() -> None:
    """Print the config's JSON Schema (draft 2020-12) for editors and CI checks."""
    from monitor.config_schema import render

    sys.stdout.write(render())


COMMANDS = [export, report, schema]
