"""Fetch many sources at once, politely, and turn each into one FetchResult.

Concurrency is capped overall and per host (ministries rate-limit by IP), the
per-fetch deadline starts only when a slot is granted (waiting in the queue
is not the server's fault), and big bodies are parsed in a worker thread so they
do not stall the other downloads.  A source problem never raises: it
becomes `status="error"` with a specific message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from monitor.config import Defaults, SourceConfig
from monitor.errors import FetchError, SourceError
from monitor.models import FetchResult, Item, Validators
from monitor.origins import classify, host_of, origin
from monitor.sources.feed import parse_feed
from monitor.sources.http import (
    Policy,
    Resolver,
    Response,
    addresses,
    fetch,
    make_client,
    system_resolver,
)

log = logging.getLogger(__name__)

# Small bodies parse in a few ms: inline is faster than a thread hop (GIL hand-offs).
# Big ones go to a thread so they cannot stall the loop past other fetches' deadlines.
INLINE_PARSE_BYTES = 256 * 1024

_ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/rdf+xml, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "html": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    "json": "application/json, */*;q=0.5",
}

# (source, response, now) -> items, warnings.  Kinds register here so the
# retriever never needs to know what the bytes mean.
Parser = Callable[[SourceConfig, Response, datetime], tuple[list[Item], list[str]]]
# Optional async step after parsing (html `follow: true`): may fetch more pages.
Enricher = Callable[[SourceConfig, list[Item], "Fetcher"], Awaitable[tuple[list[Item], list[str]]]]


def _parse_feed(src: SourceConfig, resp: Response, now: datetime
                ) -> tuple[list[Item], list[str]]:
    return parse_feed(src.name, resp, now, src.lang)


def _parsers() -> dict[str, Parser]:
    from monitor.sources.html import parse_html
    from monitor.sources.jsonapi import parse_json

    return {"feed": _parse_feed, "html": parse_html, "json": parse_json}


class Fetcher:
    """One poll's shared client and semaphores; `get` is usable by enrichers too."""

    def __init__(self, client: httpx.AsyncClient, defaults: Defaults,
                 resolver: Resolver | None = None) -> None:
        self.client = client
        self.defaults = defaults
        self._base_resolver = resolver or system_resolver
        self._resolved: dict[str, list[str]] = {}
        self._all = asyncio.Semaphore(max(defaults.concurrency, 1))
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._policies: dict[str, Policy] = {}

    async def resolver(self, host: str) -> list[str]:
        """Addresses of `host`, looked up once per poll (the address checks ask per hop)."""
        if host not in self._resolved:
            self._resolved[host] = await self._base_resolver(host)
        return self._resolved[host]

    async def policy_for(self, src: SourceConfig) -> Policy:
        """The source's origin, headers and whether private addresses are its own.

        A source whose configured URL is itself loopback/private was the
        operator's choice: its redirects and article links may stay there.
        """
        policy = self._policies.get(src.name)
        if policy is None:
            allow = src.allow_private or any(
                classify(a) == "private"
                for a in await addresses(host_of(src.url), self.resolver))
            policy = self._policies[src.name] = Policy(
                origin(src.url), dict(src.headers), allow, self.resolver)
        return policy

    def _host_sem(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = asyncio.Semaphore(max(self.defaults.per_host, 1))
        return sem

    async def get(self, url: str, headers: dict[str, str],
                  src: SourceConfig | None = None) -> Response:
        """GET for `src` (its headers only to its origin), or without any source's headers."""
        d = self.defaults
        policy = await self.policy_for(src) if src is not None else Policy(
            resolver=self.resolver)
        async with self._host_sem(url), self._all:
            return await fetch(self.client, url, headers=headers, timeout=d.timeout,
                               connect_timeout=d.connect_timeout, max_bytes=d.max_bytes,
                               policy=policy)


def _request_headers(src: SourceConfig, validators: Validators | None) -> dict[str, str]:
    headers = {"Accept": _ACCEPT.get(src.kind, "*/*")}
    if validators is not None:
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
    # src.headers are added per hop, and only on the source's own origin (Fetcher.get).
    return headers


async def fetch_one(fetcher: Fetcher, src: SourceConfig, validators: Validators | None,
                    parsers: Mapping[str, Parser],
                    enrich: Enricher | None = None) -> FetchResult:
    result = FetchResult(source=src.name, status="error")
    try:
        resp = await fetcher.get(src.url, _request_headers(src, validators), src)
        result.http_status = resp.status
        result.etag = resp.headers.get("etag")
        result.last_modified = resp.headers.get("last-modified")
        if resp.status == 304:
            result.status = "not_modified"
        else:
            now = datetime.now(UTC)
            parse = parsers[src.kind]
            if len(resp.body) <= INLINE_PARSE_BYTES:
                items, warnings = parse(src, resp, now)
            else:
                items, warnings = await asyncio.to_thread(parse, src, resp, now)
            if enrich is not None and items:
                items, more = await enrich(src, items, fetcher)
                warnings = warnings + more
            elif src.html is not None and src.html.follow:
                warnings = [*warnings, "follow: true needs the caller's known-item hook "
                            "(enrich=follow_new(...)): article pages not fetched"]
            result.items, result.warnings, result.status = items, warnings, "ok"
    except FetchError as e:
        result.error = str(e)
        result.http_status = e.http_status or result.http_status
        result.retry_after = e.retry_after
    except SourceError as e:
        result.error = str(e)
    except Exception as e:
        log.exception("unexpected failure on source %s", src.name)
        result.error = f"internal error while reading the source: {type(e).__name__}: {e}"[:500]
    if result.status == "error":
        # Validators of a failed response describe nothing we stored.
        result.etag = result.last_modified = None
    return result


async def fetch_many(
    sources: Sequence[SourceConfig],
    validators: Mapping[str, Validators],
    defaults: Defaults,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    enrich: Enricher | None = None,
    resolver: Resolver | None = None,
) -> list[FetchResult]:
    """One FetchResult per source, in input order; never raises for a source problem.

    `resolver` (host -> addresses) is what the address rules check; tests pass
    one to make a name "resolve" to a private or metadata address.
    """
    if not sources:
        return []
    parsers = _parsers()
    limit = max(defaults.concurrency, 1)
    async with make_client(defaults.user_agent, defaults.timeout, defaults.connect_timeout,
                           limit, transport) as client:
        fetcher = Fetcher(client, defaults, resolver)
        tasks = [fetch_one(fetcher, s, validators.get(s.name), parsers, enrich) for s in sources]
        return list(await asyncio.gather(*tasks))


class SharedPoller:
    """One HTTP client, one set of per-host limits, for every source of a long-running monitor.

    `monitor run` polls each source on its own schedule, but the sources share
    hosts: one client keeps connections alive across polls, and one Fetcher's
    semaphores hold `per_host` across sources, not per job.  Use it on one event loop.
    """

    def __init__(self, defaults: Defaults,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        limit = max(defaults.concurrency, 1)
        self.client = make_client(defaults.user_agent, defaults.timeout,
                                  defaults.connect_timeout, limit, transport)
        self.fetcher = Fetcher(self.client, defaults)
        self.parsers = _parsers()

    def reconfigure(self, defaults: Defaults) -> None:
        """New limits after a config reload (polls in flight keep their slots)."""
        self.fetcher = Fetcher(self.client, defaults)

    async def poll(self, src: SourceConfig, validators: Validators | None,
                   enrich: Enricher | None = None) -> FetchResult:
        return await fetch_one(self.fetcher, src, validators, self.parsers, enrich)

    async def aclose(self) -> None:
        await self.client.aclose()
