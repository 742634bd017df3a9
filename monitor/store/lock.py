"""One writer per database: an exclusive `flock` on a lock file beside it.

Two `monitor run` on one database would both fetch, both insert and both
post.  The lock file (`<database>.lock`) records the holder's PID so the
refusal can name it.  `flock` locks die with the process, so a `kill -9`
never leaves a stale lock; the PID inside is only for the message.
Read-only commands (`log`, `sources`) do not take it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from monitor.errors import DatabaseBusy, StoreError


class WriterLock:
    def __init__(self, database: str | os.PathLike[str]) -> None:
        self.database = Path(database)
        self.path = self.database.with_name(self.database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> WriterLock:
        """Take the lock or raise DatabaseBusy naming the database and the holder's PID."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(f"{self.database}: cannot create lock file {self.path}: "
                             f"{e.strerror or e}") from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise DatabaseBusy(
                f"{self.database}: another monitor (pid {holder}) is already running on this "
                "database; stop it first or point this one at another database") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()
