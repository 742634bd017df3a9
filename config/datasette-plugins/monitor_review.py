"""Datasette plugin: the monitor's table notes and canned queries for any database name.

Datasette keys metadata by database name, which it takes from the file name, so
`databases: monitor:` would only ever apply to a file called monitor.db.  This
plugin reads the `review:` block of the datasette.yaml beside this folder (or
$MONITOR_DATASETTE_YAML) and offers it for every database served, so a backup or
the demo database gets the same queries.  Read-only: it never writes.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from datasette import hookimpl

_DEFAULT = Path(__file__).resolve().parent.parent / "datasette.yaml"


@lru_cache(maxsize=1)
def _review() -> dict[str, Any]:
    path = Path(os.environ.get("MONITOR_DATASETTE_YAML") or _DEFAULT)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    review = data.get("review") or {}
    return {"tables": dict(review.get("tables") or {}),
            "queries": dict(review.get("queries") or {})}


def _ours(database: str | None) -> bool:
    return bool(database) and not str(database).startswith("_")  # not _internal / _memory


@hookimpl
def canned_queries(datasette: Any, database: str, actor: Any) -> dict[str, Any] | None:
    return _review()["queries"] if _ours(database) else None


@hookimpl(optionalhook=True)  # gone in Datasette 1.0: there the queries still work
def get_metadata(datasette: Any, key: str, database: str | None,
                 table: str | None) -> dict[str, Any]:
    # Asked with database=None too (table pages look up "databases"): cover every one.
    names = [database] if database else list(getattr(datasette, "databases", {}))
    tables = _review()["tables"]
    return {"databases": {name: {"tables": tables} for name in names if _ours(name)}}
