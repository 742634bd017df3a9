"""Open the alert-log database: a real SQLite file in WAL mode, migrated."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import sqlite_utils

from monitor.errors import StoreError
from monitor.store.schema import migrate
from monitor.store.tx import BUSY_TIMEOUT_MS, store_error


def utcnow() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=1024)  # one poll formats the same few instants for every item
def iso(dt: datetime | None) -> str | None:
    """UTC ISO-8601 with a Z, second precision: the one timestamp form in the DB."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def open_db(path: str | os.PathLike[str], cache_mb: int | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate; raise StoreError when unusable.

    `cache_mb`: this connection's page cache (SQLite's default is 2 MB).  The cache
    fills only with pages the connection reads, up to the limit.
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(p)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if cache_mb:
            db.execute(f"PRAGMA cache_size = {-1024 * int(cache_mb)}")  # negative: KiB
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        migrate(db)
    except StoreError:
        raise
    except sqlite3.Error as e:
        err = store_error(e, str(p))
        if type(err) is StoreError:  # not a lock/full/read-only fault: the file is unusable
            raise StoreError(f"{p}: cannot open database: {e}") from e
        raise err from e
    except OSError as e:
        raise StoreError(f"{p}: cannot open database: {e}") from e
    return db
