"""`follow: true`: fetch each NEW article of a listing page once and keep its lead.

Listing pages give a headline and a date; the classifier does much better with
the first paragraphs.  Only items the caller does not know yet are followed
(the caller passes `is_known`, typically a store lookup), so a listing of 20
announcements costs 20 article fetches once, not every poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from monitor.config import SourceConfig
from monitor.errors import SourceError
from monitor.models import Item
from monitor.sources.dates import parse_date
from monitor.sources.encoding import decode
from monitor.sources.poll import Enricher, Fetcher
from monitor.text import SUMMARY_MAX, collapse, truncate

MAX_FOLLOW = 20  # per poll and source: a redesign that makes every link "new" stays bounded
_ACCEPT = {"Accept": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"}


def extract_lead(html_text: str, url: str | None = None,
                 lang: str | None = None) -> tuple[str, str | None]:
    """(main text, publication date string) of an article page; ("", None) if none found."""
    import trafilatura  # heavy import, only needed when a source follows links

    text = trafilatura.extract(html_text, url=url, include_comments=False,
                               include_tables=False, favor_precision=True,
                               target_language=None) or ""
    date = None
    try:
        meta = trafilatura.extract_metadata(html_text, default_url=url)
        date = getattr(meta, "date", None) if meta is not None else None
    except Exception:
        date = None
    return collapse(text), date


async def _follow_one(item: Item, src: SourceConfig, fetcher: Fetcher) -> Item:
    assert item.url is not None
    resp = await fetcher.get(item.url, dict(_ACCEPT), src)  # headers: own origin only
    if resp.status == 304 or not resp.body:
        return item
    decoded = decode(resp.body, resp.content_type)
    lead, date = await asyncio.to_thread(extract_lead, decoded.text, resp.url, src.lang)
    published = item.published or parse_date(date, lang=item.lang)
    summary = truncate(lead, SUMMARY_MAX) if lead else item.summary
    return replace(item, summary=summary, published=published)


def follow_new(is_known: Callable[[Item], bool], limit: int = MAX_FOLLOW) -> Enricher:
    """An enricher for `fetch_many(..., enrich=...)` that follows unknown items' links."""

    async def enrich(src: SourceConfig, items: list[Item], fetcher: Fetcher
                     ) -> tuple[list[Item], list[str]]:
        if src.kind != "html" or src.html is None or not src.html.follow:
            return items, []
        todo = [i for i, it in enumerate(items) if it.url and not is_known(it)]
        warnings: list[str] = []
        if len(todo) > limit:
            warnings.append(f"{len(todo)} new links: followed the first {limit}")
            todo = todo[:limit]
        results = await asyncio.gather(*(_follow_one(items[i], src, fetcher) for i in todo),
                                       return_exceptions=True)
        out = list(items)
        for i, res in zip(todo, results, strict=True):
            if isinstance(res, Item):
                out[i] = res
            elif isinstance(res, SourceError):
                warnings.append(f"could not follow {items[i].url}: {res}")
            elif isinstance(res, Exception):
                warnings.append(f"could not follow {items[i].url}: {type(res).__name__}")
            else:  # BaseException (cancellation): let it propagate
                raise res
        return out, warnings

    return enrich
