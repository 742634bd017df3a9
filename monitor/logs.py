"""Logging setup: structlog over the stdlib, one format for every module's records.

`LOG_FORMAT=json` makes every stderr line one JSON object (`timestamp`, `level`,
`event`, plus the event's fields); `console` (the default) prints readable lines.
`LOG_LEVEL` sets the threshold (default INFO).  Modules keep using
`logging.getLogger(__name__)`; structured events use `structlog.get_logger()`.
Both end in the same handler, so no library can slip a plain line into a JSON log.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog

FORMATS = ("console", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Chatty libraries: their INFO lines are per request, ours are per cycle.
QUIET = ("httpx", "httpcore", "apscheduler", "slack_sdk", "urllib3", "asyncio")


class LogSettingError(ValueError):
    """LOG_FORMAT or LOG_LEVEL holds a value we do not know."""


def log_format() -> str:
    value = (os.environ.get("LOG_FORMAT") or "console").strip().lower()
    if value not in FORMATS:
        raise LogSettingError(f"LOG_FORMAT={value!r}: use one of {', '.join(FORMATS)}")
    return value


def json_mode() -> bool:
    """True when stderr must carry JSON only (then human summaries go to stdout)."""
    try:
        return log_format() == "json"
    except LogSettingError:
        return False


def _level(verbose: bool) -> int:
    if verbose:
        return logging.DEBUG
    value = (os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    if value not in LEVELS:
        raise LogSettingError(f"LOG_LEVEL={value!r}: use one of {', '.join(LEVELS)}")
    return int(getattr(logging, value))


def setup(verbose: bool = False) -> None:
    """Configure stdlib logging and structlog from LOG_FORMAT / LOG_LEVEL.

    Raises LogSettingError for an unknown value; logging is then left in console
    mode at INFO so the error itself can still be reported.
    """
    problem: LogSettingError | None = None
    try:
        fmt, level = log_format(), _level(verbose)
    except LogSettingError as e:
        fmt, level, problem = "console", logging.INFO, e
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    renderer: Any
    if fmt == "json":
        tail: list[Any] = [structlog.processors.format_exc_info]
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=False)
    else:
        tail = []
        # Plain tracebacks: greppable in a log file, and the same whether or not
        # rich happens to be importable (see monitor/__init__.py).
        renderer = structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0,
                                                 exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)  # warnings.warn() lines join the log, not raw stderr
    if fmt == "json":
        _log_uncaught()
    if problem is not None:
        raise problem


def _log_uncaught() -> None:
    """Tracebacks become one JSON event too, from the main thread and from workers."""
    import threading

    def hook(exc_type: Any, exc: Any, tb: Any) -> None:
        logging.getLogger("monitor").critical("uncaught_exception", exc_info=(exc_type, exc, tb))

    def thread_hook(args: Any) -> None:
        if args.exc_type is not SystemExit:
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
