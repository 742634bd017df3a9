"""What the analyst commands share: the --since window, opening the database, output."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any, NoReturn

import click
import sqlite_utils

from monitor.config import Config, load_config, parse_duration
from monitor.errors import ConfigError, StoreError

EXIT_UNUSABLE = 2


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_UNUSABLE)


def since_start(value: str, now: datetime) -> datetime | None:
    """'30d' -> the moment 30 days ago; 'all' -> None (no lower bound)."""
    if value.strip().lower() == "all":
        return None
    try:
        return now - timedelta(seconds=parse_duration(value))
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from e


def open_store(config_path: str | None = None) -> tuple[Config, sqlite_utils.Database]:
    """The config (MONITOR_CONFIG unless given) and its database; exit 2 when unusable."""
    from monitor.store import open_db

    try:
        cfg = load_config(config_path)
        return cfg, open_db(cfg.database)
    except ConfigError as e:
        fail("\n".join(e.problems))
    except StoreError as e:
        fail(f"error: {e}")


def labels_text(row: dict[str, Any]) -> str:
    parts = [",".join(row.get(k) or []) for k in ("topic", "item", "jurisdiction")]
    text = " · ".join(p for p in parts if p)
    score = row.get("score")
    return f"{text} ({score:.2f})" if score is not None else text


def print_items(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("published", "source", "labels (score)", "title / link"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r.get("published") or r.get("first_seen") or "-"), str(r["source"]),
                      labels_text(r), f"{r['title']}\n{r.get('url') or ''}".strip())
    Console(width=160).print(table)
