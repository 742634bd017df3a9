"""Export-Control Monitor: watches news and ministry feeds, stores, classifies, alerts.

Start-up time matters (`monitor run --once` from cron, a poll where every source
answers 304): three libraries import optional dependencies that the monitor never
uses through them.  sqlite-utils imports numpy (to map numpy scalars to column
types, for its `insert` helpers, which the monitor does not call); structlog
imports rich (for fancy tracebacks in console logs, which `monitor.logs` does not
ask for); httpx imports rich and pygments for its own command-line client.
Together they were about a fifth of an all-304 run.  They are imported here,
first, with those dependencies hidden; afterwards they import as usual (the
classifier loads numpy, `monitor` tables load rich).
"""

from __future__ import annotations

import importlib
import sys


def _import_without(module: str, *optional: str) -> None:
    """Import `module` while the `optional` modules look absent (None in sys.modules
    makes their import raise ImportError), then make them importable again."""
    if module in sys.modules:
        return
    hidden = [name for name in optional if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        importlib.import_module(module)
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


_import_without("sqlite_utils", "numpy", "pandas")
_import_without("structlog", "rich")
_import_without("httpx", "rich", "pygments")
