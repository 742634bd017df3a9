"""Thin commands over the package; the edges are fixed in interfaces.md."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import click

from monitor.config import Config, ConfigWatcher, load_config
from monitor.errors import ConfigError, ModelError, MonitorError, StoreError

EXIT_UNUSABLE = 2


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_UNUSABLE)


def _classifier(cfg: Config) -> Any:
    from monitor.classify import LazyClassifier

    # Loaded at the first new item: a poll where every source answers 304 never pays for it.
    return LazyClassifier(cfg.model, threshold=cfg.alerts.threshold)


def _pipeline(cfg: Config, db: Any, classifier: Any) -> Any:
    from monitor.pipeline import Pipeline

    return Pipeline(cfg, db, classifier)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def cli(verbose: bool) -> None:
    """Export-Control Monitor: watch feeds, classify, log, alert."""
    _setup_logging(verbose)


@cli.command()
@click.option("--once", is_flag=True, help="Poll every source once, deliver, exit.")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Config file (default: $MONITOR_CONFIG or config/monitor.yaml).")
def run(once: bool, config_path: str | None) -> None:
    """Poll sources on their intervals and deliver alerts until SIGINT/SIGTERM."""
    from monitor.schedule import Monitor
    from monitor.store import open_db

    try:
        watcher = ConfigWatcher(config_path)
        cfg = watcher.config
        open_db(cfg.database).conn.close()  # unusable database: refuse to start
        monitor = Monitor(watcher, _classifier, _pipeline)
    except (ConfigError, StoreError, ModelError) as e:
        _fail(f"error: {e}")
        return
    if once:
        # The same machinery as the long-running mode: one client, fetch / store /
        # deliver overlapping (a source is stored as soon as it arrives, and posting
        # starts with the first alerts).
        outcomes, delivery = monitor.run_once()
        for o in outcomes:
            line = f"{o.source}: {o.status}, {o.new_items} new, {o.alerts} alerts queued"
            if o.error:
                line += f" — {o.error}"
            if o.warnings:
                line += f" (warnings: {'; '.join(o.warnings)})"
            click.echo(line, err=True)
        click.echo(f"delivery: {delivery}", err=True)
        return
    click.echo(f"monitoring {len(cfg.sources)} sources; Ctrl-C to stop", err=True)
    monitor.run_forever()


@cli.command("check-config")
@click.argument("path", required=False)
def check_config(path: str | None) -> None:
    """Validate the config; print every problem with file, line and key."""
    try:
        cfg = load_config(path)
    except ConfigError as e:
        for problem in e.problems:
            click.echo(problem, err=True)
        sys.exit(1)
    where = path or os.environ.get("MONITOR_CONFIG") or "config/monitor.yaml"
    click.echo(f"{where}: OK — {len(cfg.sources)} sources, {len(cfg.watch)} watch rules, "
               f"alerts to {cfg.alerts.channel}")


@cli.command("log")
@click.option("--limit", default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "digest"]))
@click.option("--channel", default=None)
def log_cmd(limit: int, as_json: bool, status: str | None, channel: str | None) -> None:
    """List recent alerts: source, labels, channel, status, link."""
    from monitor.store import open_db
    from monitor.store.alerts import recent

    try:
        cfg = load_config()
        db = open_db(cfg.database)
    except (ConfigError, StoreError) as e:
        _fail(f"error: {e}")
        return
    rows = [r for r in recent(db, limit=limit * 4 if (status or channel) else limit)
            if (not status or r["status"] == status) and (not channel or r["channel"] == channel)]
    rows = rows[:limit]
    for r in rows:
        for key in ("topic", "item", "jurisdiction"):
            r[key] = json.loads(r[key]) if isinstance(r.get(key), str) else (r.get(key) or [])
        if isinstance(r.get("payload"), str):
            r["payload"] = json.loads(r["payload"])
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    _print_log(rows)


def _print_log(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Recent alerts (newest first)", show_lines=False)
    for col in ("id", "created", "status", "channel", "reason", "source", "labels", "title / link"):
        table.add_column(col, overflow="fold")
    for r in rows:
        labels = " · ".join(
            ",".join(r.get(k) or []) for k in ("topic", "item", "jurisdiction") if r.get(k)
        )
        if r.get("score") is not None:
            labels = f"{labels} ({r['score']:.2f})" if labels else f"({r['score']:.2f})"
        title = r.get("title") or (r.get("payload") or {}).get("text", "")
        status = r["status"] + (f": {r['last_error']}" if r.get("last_error") else "")
        table.add_row(str(r["id"]), str(r["created_at"]), status, r["channel"], r["reason"],
                      r.get("source") or "-", labels, f"{title}\n{r.get('url') or ''}".strip())
    Console(width=160).print(table)


def _register() -> None:
    from monitor.alert.commands import COMMANDS as ALERT
    from monitor.classify.commands import COMMANDS as CLASSIFY
    from monitor.sources.commands import COMMANDS as SOURCES

    for cmd in (*CLASSIFY, *SOURCES, *ALERT):
        cli.add_command(cmd)


def main() -> None:
    _register()
    try:
        cli(standalone_mode=True)
    except MonitorError as e:
        _fail(f"error: {e}")


if __name__ == "__main__":
    main()
