"""Hot reload of the config file for long-running `monitor run`.

A broken edit must not stop monitoring: the watcher keeps the last good config
and exposes the error, so the scheduler can report it and carry on.
"""

from __future__ import annotations

import os

from monitor.config.loader import config_path, load_config
from monitor.errors import ConfigError


class ConfigWatcher:
    """Hot reload: re-read on change, keep the last good config on error."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = config_path(path)
        self.config = load_config(self.path)
        self._mtime = self._stat()
        self.last_error: ConfigError | None = None

    def _stat(self) -> tuple[int, int]:
        try:
            st = self.path.stat()
        except OSError:
            return (-1, -1)
        return (st.st_mtime_ns, st.st_size)

    def poll(self) -> bool:
        """Reload if the file changed; True when a new config took effect."""
        mtime = self._stat()
        if mtime == self._mtime:
            return False
        self._mtime = mtime
        try:
            self.config = load_config(self.path)
        except ConfigError as e:
            self.last_error = e
            return False
        self.last_error = None
        return True
