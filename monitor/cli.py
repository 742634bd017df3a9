"""Thin commands over the package; the edges are fixed in interfaces.md."""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from monitor import logs
from monitor.config import Config, ConfigWatcher, config_path, load_config
from monitor.console import EXIT_UNUSABLE, config_option, fail, human, print_table, version
from monitor.errors import ConfigError, ModelError, MonitorError, StoreError

if TYPE_CHECKING:
    import sqlite_utils

    from monitor.pipeline import Pipeline
    from monitor.seams import Classifier


def _fail(message: str) -> None:
    fail(message, EXIT_UNUSABLE)


def _classifier(cfg: Config) -> Classifier:
    # Imported here for start-up time: commands that never classify skip numpy and the model.
    from monitor.classify import LazyClassifier
    from monitor.feedback.versions import active_model_path

    # Loaded at the first new item: a poll where every source answers 304 never pays for it.
    return LazyClassifier(active_model_path(cfg), threshold=cfg.alerts.threshold)


def _pipeline(cfg: Config, db: sqlite_utils.Database, classifier: Classifier) -> Pipeline:
    from monitor.pipeline import Pipeline  # start-up time, as above

    return Pipeline(cfg, db, classifier)


# Modules holding the other commands (each a COMMANDS list).  They load when one of
# their commands is asked for or the list is shown: `monitor run`, started every
# poll from cron or the bench, does not import the analyst and feedback tools.
_COMMAND_MODULES = ("monitor.classify_commands", "monitor.health_commands",
                    "monitor.alert.commands", "monitor.ops.commands",
                    "monitor.analyst.commands", "monitor.feedback.commands")


class _Commands(click.Group):
    _all_loaded = False

    def load_all(self) -> None:
        if not self._all_loaded:
            self._all_loaded = True
            for name in _COMMAND_MODULES:
                for cmd in importlib.import_module(name).COMMANDS:
                    self.add_command(cmd)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None:
            self.load_all()
            found = super().get_command(ctx, cmd_name)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_all()
        return super().list_commands(ctx)


@click.group(cls=_Commands)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging (same as LOG_LEVEL=DEBUG).")
@click.version_option(version(), "--version", prog_name="monitor",
                      message="%(prog)s %(version)s")
def cli(verbose: bool) -> None:
    """Export-Control Monitor: watch feeds, classify, log, alert.

    Exit codes: 0 done; 1 the command ran and the answer is no (unhealthy, a post
    refused, a backup not written); 2 cannot run (bad usage, unusable config,
    database or model).
    """
    try:
        logs.setup(verbose)
    except logs.LogSettingError as e:
        _fail(f"error: {e}")


@cli.command()
@click.option("--once", is_flag=True, help="Poll every source once, deliver, exit.")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Config file (default: $MONITOR_CONFIG or config/monitor.yaml).")
def run(once: bool, config_path: str | None) -> None:
    """Poll sources on their intervals and deliver alerts until SIGINT/SIGTERM."""
    from monitor.schedule import Monitor
    from monitor.store import open_db
    from monitor.store.lock import WriterLock

    try:
        watcher = ConfigWatcher(config_path)
        cfg = watcher.config
        # One writer per database, held until this process exits.
        lock = WriterLock(cfg.database).acquire()  # noqa: F841
        open_db(cfg.database).conn.close()  # unusable database: refuse to start
        mon = Monitor(watcher, _classifier, _pipeline)
    except (ConfigError, StoreError, ModelError) as e:
        _fail(f"error: {e}")
        return
    if once:
        # The same machinery as the long-running mode: one client, fetch / store /
        # deliver overlapping (a source is stored as soon as it arrives, and posting
        # starts with the first alerts).
        outcomes, delivery = mon.run_once()
        for o in outcomes:
            line = f"{o.source}: {o.status}, {o.new_items} new, {o.alerts} alerts queued"
            if o.error:
                line += f" — {o.error}"
            if o.warnings:
                line += f" (warnings: {'; '.join(o.warnings)})"
            human(line)
        human(f"delivery: {delivery}")
        return
    from monitor import feedback, ops

    logs.get_logger("monitor").info("monitor_started", version=version(),
                                    sources=len(cfg.sources), database=cfg.database)
    human(f"monitoring {len(cfg.sources)} sources; Ctrl-C to stop")
    listen = ops.listen_address(cfg)

    def scheduler_state() -> tuple[bool, str]:
        running = mon.scheduler is not None and mon.scheduler.running
        return running, "running" if running else "not running"

    try:
        server = ops.start(
            listen, config=lambda: watcher.config, version=version(),
            model=mon.classifier.version,
            providers={"scheduler": scheduler_state, "socket_mode": feedback.health},
        ) if listen else None
    except ops.ListenError as e:
        _fail(f"error: {e}")
        return
    services = feedback.start(lambda: watcher.config, mon, os.environ, _classifier)
    try:
        mon.run_forever()
    finally:
        services.stop()
        if server:
            server.stop()


@cli.command("check-config")
@click.argument("path", required=False)
@config_option
@click.option("--json", "as_json", is_flag=True, help='One object: {"ok", "problems"}.')
def check_config(path: str | None, as_json: bool) -> None:
    """Validate the config; print every problem with file, line and key (exit 2 if any)."""
    where = str(config_path(path))
    try:
        cfg = load_config(path)
    except ConfigError as e:
        if as_json:
            click.echo(json.dumps({"ok": False, "config": where, "problems": e.problems},
                                  ensure_ascii=False))
        else:
            for problem in e.problems:
                click.echo(problem, err=True)
        sys.exit(EXIT_UNUSABLE)
    if as_json:
        click.echo(json.dumps({"ok": True, "config": where, "problems": [],
                               "sources": len(cfg.sources), "watch": len(cfg.watch)}))
        return
    click.echo(f"{where}: OK — {len(cfg.sources)} sources, {len(cfg.watch)} watch rules, "
               f"alerts to {cfg.alerts.channel}")


@cli.command("log")
@config_option
@click.option("--limit", default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "digest"]))
@click.option("--channel", default=None)
def log_cmd(limit: int, as_json: bool, status: str | None, channel: str | None) -> None:
    """List recent alerts: source, labels, channel, status, link."""
    from monitor.store import open_db
    from monitor.store.outbox import recent

    try:
        cfg = load_config()
        db = open_db(cfg.database)
    except (ConfigError, StoreError) as e:
        _fail(f"error: {e}")
        return
    rows = recent(db, limit=limit, status=status, channel=channel)
    from monitor.store.corrections import for_alerts

    feedback = for_alerts(db, [int(r["id"]) for r in rows])
    for r in rows:
        r["corrections"] = feedback.get(int(r["id"]))
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
    from rich.table import Table

    table = Table(title="Recent alerts (newest first)", show_lines=False)
    for col in ("id", "created", "status", "channel", "reason", "source", "labels", "feedback",
                "title / link"):
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
                      r.get("source") or "-", labels, _feedback_cell(r.get("corrections")),
                      f"{title}\n{r.get('url') or ''}".strip())
    print_table(table)


def _feedback_cell(summary: dict[str, Any] | None) -> str:
    """'✓2 ✗1' (analysts who marked it relevant / not relevant), '-' when nobody did."""
    if not summary:
        return "-"
    return f"✓{summary['relevant']} ✗{summary['not_relevant']}"


def _register() -> None:
    """Every command on `cli` now (tests that invoke the group object directly)."""
    assert isinstance(cli, _Commands)
    cli.load_all()


def main() -> None:
    try:
        cli(standalone_mode=True)
    except MonitorError as e:
        _fail(f"error: {e}")


if __name__ == "__main__":
    main()
