"""`monitor sources`: is every source answering, and how much does it publish?

It reads the config, the store and the health rules together, so it lives at the
CLI layer beside `cli.py`, not inside `sources/` (which never imports the store)."""

from __future__ import annotations

import json

import click

from monitor.console import EXIT_UNUSABLE, config_option, fail, print_table
from monitor.errors import ConfigError, StoreError
from monitor.text import truncate

_STYLE = {"ok": "green", "failing": "red", "silent": "yellow", "new": "dim",
          "disabled": "dim", "removed": "dim"}


@click.command("sources")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source per line.")
def sources_cmd(as_json: bool) -> None:
    """Health of every source: last success, last error, failures in a row, items/day."""
    from monitor.config import load_config
    from monitor.health import health_table
    from monitor.store import open_db

    try:
        cfg = load_config()
        db = open_db(cfg.database)
    except (ConfigError, StoreError) as e:
        fail(f"error: {e}", EXIT_UNUSABLE)
    rows = health_table(db, cfg)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} sources", show_lines=False)
    for col in ("source", "kind", "health", "last success", "fails", "items/day", "last error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        health = str(r["health"])
        name = str(r["name"]) + (" (unverified)" if r.get("unverified") else "")
        per_day = "-" if r["items_per_day"] is None else f"{r['items_per_day']:g}"
        error = truncate(str(r.get("last_error") or ""), 60)
        if error and r.get("last_error_at"):
            error = f"{error} ({r['last_error_at']})"
        table.add_row(name, str(r["kind"]), f"[{_STYLE.get(health, 'white')}]{health}[/]",
                      str(r.get("last_success") or "never"), str(r["consecutive_failures"]),
                      per_day, error)
    print_table(table)


COMMANDS = [sources_cmd]
