"""Sources: fetch feeds, listing pages and JSON APIs; hand back normalised Items.

Public API (everything else in this package is private):

    await fetch_many(sources, validators, defaults, transport=None) -> list[FetchResult]
    fetch_all(sources, validators, defaults, transport=None) -> list[FetchResult]
    follow_new(is_known) -> Enricher   # pass as enrich=... to follow new html links
    SharedPoller(defaults).poll(src, validators, enrich)  # `monitor run`: one client for all jobs
    canonical_url(url), title_key(title), item_id(source, guid, canonical, title_key)

One FetchResult per source, in input order; a source problem is a result with
status "error" and a specific message, never an exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import httpx

from monitor.config import Defaults, SourceConfig
from monitor.models import FetchResult, Validators
from monitor.sources.follow import follow_new
from monitor.sources.http import Resolver
from monitor.sources.identity import canonical_url, item_id, title_key
from monitor.sources.poll import Enricher, SharedPoller, fetch_many

__all__ = ["Enricher", "SharedPoller", "canonical_url", "fetch_all", "fetch_many", "follow_new",
           "item_id", "title_key"]


def fetch_all(
    sources: Sequence[SourceConfig],
    validators: Mapping[str, Validators],
    defaults: Defaults,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    enrich: Enricher | None = None,
    resolver: Resolver | None = None,
) -> list[FetchResult]:
    """Synchronous wrapper around `fetch_many` for the pipeline and the scheduler's threads."""
    return asyncio.run(fetch_many(sources, validators, defaults, transport=transport, enrich=enrich,
                                  resolver=resolver))
