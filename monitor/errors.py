"""The monitor's error tree: catch `MonitorError` at the edges, never bare Exception."""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""


class ConfigError(MonitorError):
    """The config file is unusable; `problems` lists each with file, line and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class SourceError(MonitorError):
    """A source could not be fetched or parsed; the message is shown to the user."""


class FetchError(SourceError):
    """Transport-level failure: timeout, refused, too large, redirect loop, HTTP error."""

    def __init__(self, message: str, *, http_status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry_after = retry_after


class ParseError(SourceError):
    """Bytes arrived but are not a feed/page/JSON we can read."""


class ModelError(MonitorError):
    """The classifier artifact is missing or corrupt: run `monitor train`."""


class StoreError(MonitorError):
    """The database is unusable (locked, corrupt, newer schema)."""


class DatabaseBusy(StoreError):
    """Another process holds the database: SQLite's lock, or a second `monitor run`."""


class DatabaseFull(StoreError):
    """The disk (or the file-size limit) is full: writes fail until space is freed."""


class DatabaseReadOnly(StoreError):
    """The file, its directory or the mount is read-only."""
