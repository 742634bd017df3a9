"""SQLite alert log: schema, migrations and the queries each layer needs."""

from monitor.store.db import iso, open_db, parse_iso, utcnow

__all__ = ["iso", "open_db", "parse_iso", "utcnow"]
