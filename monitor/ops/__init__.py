"""Operations surface of `monitor run`: the /healthz + /metrics listener and cycle events.

The surface is small on purpose, so the scheduler only needs a few lines:
  handle = ops.start(listen, config=lambda: cfg, providers={"scheduler": fn})
  ...; handle.stop()
and the pipeline reports each poll cycle and delivery batch through
`poll_cycle(...)` / `delivery_batch(...)`, which log one INFO event and update
the metrics.  Extra status providers (e.g. Socket Mode) are `name -> () ->
(ok, detail)` callables; a False makes /healthz answer 503 with the reason.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from monitor import logs
from monitor.config import Config
from monitor.ops import health, metrics
from monitor.ops.health import StatusProvider
from monitor.ops.server import ListenError, OpsServer, parse_listen

__all__ = ["ListenError", "OpsServer", "StatusProvider", "delivery_batch", "judge",
           "listen_address", "parse_listen", "poll_cycle", "start"]

log = logs.get_logger("monitor.ops")


def listen_address(cfg: Config) -> str | None:
    """MONITOR_LISTEN wins over the config's ops.listen; empty means no listener."""
    value = os.environ.get("MONITOR_LISTEN")
    if value is None:
        value = cfg.ops.listen or ""
    return value.strip() or None


def judge(cfg: Config, providers: Mapping[str, StatusProvider] | None = None
          ) -> list[health.Check]:
    """Every check, from a fresh connection to the database (safe from any thread)."""
    from monitor.store import utcnow
    from monitor.store.ops import connect

    try:
        db = connect(cfg.database)
    except (OSError, sqlite3.Error) as e:  # a missing or unreadable file: unhealthy
        checks = [health.Check("database", False, f"cannot open {cfg.database}: {e}")]
    else:
        try:
            checks = health.judge(db, cfg, utcnow())
        finally:
            db.conn.close()
    return checks + health.from_providers(dict(providers or {}))


def start(listen: str, *, config: Callable[[], Config],
          providers: Mapping[str, StatusProvider] | None = None,
          version: str = "", model: str | None = None) -> OpsServer:
    """Serve /healthz and /metrics on `listen` (host:port) until `.stop()`."""
    from prometheus_client import disable_created_metrics

    disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series only double the scrape size
    metrics.set_build(version, model)
    metrics.watch_database(config)
    extra = dict(providers or {})

    def healthz() -> dict[str, Any]:
        return health.as_json(judge(config(), extra), version=version)

    server = OpsServer(listen, healthz).start()
    log.info("ops_listening", address=server.address, paths=["/healthz", "/metrics"])
    return server


def poll_cycle(outcomes: list[Any], seconds: float) -> None:
    """One INFO event and the metrics for a poll cycle (SourceOutcome-like objects)."""
    rows = [(o.source, o.status, o.new_items, o.alerts) for o in outcomes]
    metrics.observe_poll(rows, seconds)
    if not rows:
        return
    by_status: dict[str, int] = {}
    for _src, status, _n, _q in rows:
        by_status[status] = by_status.get(status, 0) + 1
    failed = sorted(o.source for o in outcomes if o.status == "error")
    log.info("poll_cycle", sources=len(rows), ok=by_status.get("ok", 0),
             not_modified=by_status.get("not_modified", 0), errors=len(failed),
             failed_sources=failed, new_items=sum(r[2] for r in rows),
             alerts_queued=sum(r[3] for r in rows), duration_s=round(seconds, 3))


def delivery_batch(report: Any, seconds: float, database: str | None = None,
                   db: Any = None) -> None:
    """Metrics for every batch; an INFO event when it did anything (DEBUG when idle)."""
    counts = {k: int(getattr(report, k, 0) or 0)
              for k in ("sent", "failed", "retrying", "waiting", "digested")}
    metrics.observe_delivery({k: v for k, v in counts.items() if k != "waiting"}, seconds,
                             database, db)
    busy = any(counts[k] for k in ("sent", "failed", "digested")) or counts["retrying"]
    (log.info if busy else log.debug)("delivery_batch", **counts, duration_s=round(seconds, 3))
