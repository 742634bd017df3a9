"""`monitor health` (container health checks) and `monitor backup PATH`."""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from monitor.console import EXIT_NO, EXIT_UNUSABLE, config_option, fail, human
from monitor.errors import ConfigError


@click.command("health")
@config_option
@click.option("--json", "as_json", is_flag=True,
              help='The /healthz object: {"status", "checks", "reasons"?}.')
def health_cmd(as_json: bool) -> None:
    """Judge the running monitor from its database: exit 0 healthy, 1 not, with one line.

    Healthy means the database takes a write, every enabled source was polled on
    schedule, and no alert has waited over 15 minutes past its turn.  Only 0 or
    1, also for a broken config: Docker reads any other code as an error.
    """
    from monitor.config import load_config
    from monitor.ops import judge
    from monitor.ops.health import as_json as to_json
    from monitor.ops.health import healthy, summary

    try:
        cfg = load_config()
    except ConfigError as e:
        line = f"unhealthy: config: {e.problems[0]}"
        click.echo(json.dumps({"status": "unhealthy", "reasons": e.problems}) if as_json
                   else line)
        sys.exit(EXIT_NO)
    checks = judge(cfg)
    click.echo(json.dumps(to_json(checks), ensure_ascii=False) if as_json else summary(checks))
    sys.exit(0 if healthy(checks) else EXIT_NO)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object describing the copy.")
def backup_cmd(path: Path, as_json: bool) -> None:
    """Write a consistent copy of the database to PATH, safe while `monitor run` writes.

    PATH may be a directory: the copy is then named monitor-YYYYmmddTHHMMSSZ.db.
    An existing file is replaced only once the new copy is complete.
    """
    from monitor.config import load_config
    from monitor.store.ops import backup

    try:
        cfg = load_config()
    except ConfigError as e:
        fail("\n".join(e.problems), EXIT_UNUSABLE)
    source = Path(cfg.database)
    if not source.is_file():
        fail(f"error: no database at {source}", EXIT_UNUSABLE)
    if path.is_dir():
        path = path / f"monitor-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.db"
    if path.resolve() == source.resolve():
        fail("error: the backup path is the database itself", EXIT_UNUSABLE)
    try:
        counts = backup(source, path)
    except (OSError, sqlite3.Error) as e:
        fail(f"error: backup to {path} failed: {e}", EXIT_NO)
    size = path.stat().st_size
    if as_json:
        click.echo(json.dumps({"path": str(path), "bytes": size, **counts}))
        return
    human(f"backed up {source} to {path} ({size / 2**20:.1f} MiB: {counts['items']} items, "
          f"{counts['alerts']} alerts, {counts['sources']} sources)")


COMMANDS = [health_cmd, backup_cmd]
