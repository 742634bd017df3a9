"""The APScheduler side of `monitor run`: one job per enabled source, kept in step with
the config.

Every source is polled at start (and a source new to the config at once); a run
that fires late still runs (no misfire grace): a busy loop delays a poll, it never
drops one.  APScheduler is imported here, at the first use: `run --once` needs none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from monitor.config import Config, SourceConfig
from monitor.store import utcnow

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

JITTER_SHARE = 0.1  # spread polls so sources on one host do not fire together
PREFIX = "source:"


def new_scheduler(loop: asyncio.AbstractEventLoop) -> AsyncIOScheduler:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    return AsyncIOScheduler(
        event_loop=loop, timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})


def schedule_sources(scheduler: AsyncIOScheduler, config: Config,
                     poll: Callable[[str], Awaitable[None]]) -> None:
    """One interval job per enabled source; jobs of removed or disabled sources go.
    A source keeps its next run time across a reload."""
    wanted: dict[str, SourceConfig] = {s.name: s for s in config.sources if s.enabled}
    for job in scheduler.get_jobs():
        if job.id.startswith(PREFIX) and job.id[len(PREFIX):] not in wanted:
            job.remove()
    for name, src in wanted.items():
        interval = config.interval(src)
        existing = scheduler.get_job(f"{PREFIX}{name}")
        first = existing.next_run_time if existing is not None else utcnow()
        scheduler.add_job(
            poll, "interval", args=[name], id=f"{PREFIX}{name}",
            seconds=interval, jitter=max(1, int(interval * JITTER_SHARE)),
            replace_existing=True, next_run_time=first,
        )
