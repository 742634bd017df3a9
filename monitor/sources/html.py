"""Listing pages (ministry announcement lists) -> Items via CSS selectors.

Government sites rarely publish feeds; their listing pages are stable lists of
<li><a href>title</a><span>2025-10-09</span></li>.  A selector that matches
nothing is an error, not an empty poll: it almost always means the site was
redesigned, and the operator should hear about it now rather than after the
silence detector notices weeks later.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from monitor.config import HtmlOptions, SourceConfig
from monitor.errors import ParseError
from monitor.models import Item
from monitor.sources.dates import clamp, parse_date, zone_for
from monitor.sources.encoding import decode
from monitor.sources.entries import RawEntry, build_item, dedup
from monitor.sources.http import Response
from monitor.sources.text import normalize_lang
from monitor.text import collapse, detect_script_lang

MAX_ITEMS = 500


def _select(node: Node, selector: str) -> Node | None:
    """First match under `node`, or `node` itself when it is what the selector names."""
    if selector in (":scope", "&", "."):
        return node
    found = node.css_first(selector)
    if found is not None:
        return found
    # selectolax searches descendants only; `link: a` on an `item: a` means the item.
    return node if node.tag == selector.strip().lower() else None


def _text(node: Node | None) -> str:
    return collapse(node.text(separator=" ")) if node is not None else ""


def _link(node: Node | None) -> str | None:
    if node is None:
        return None
    href = node.attributes.get("href")
    if href is None:
        inner = node.css_first("a[href]")
        href = inner.attributes.get("href") if inner is not None else None
    return href


def _date(raw: str, opts: HtmlOptions, lang: str | None, now: datetime) -> datetime | None:
    if not raw:
        return None
    if opts.date_format:
        try:
            dt = datetime.strptime(raw.strip(), opts.date_format)
        except ValueError:
            dt = None
        if dt is not None:
            return clamp(dt.replace(tzinfo=dt.tzinfo or zone_for(lang)), now)
    return parse_date(raw, lang=lang, now=now)


def parse_listing(source: str, html_text: str, page_url: str, opts: HtmlOptions,
                  now: datetime, source_lang: str | None = None
                  ) -> tuple[list[Item], list[str]]:
    tree = HTMLParser(html_text)
    base = page_url
    base_el = tree.css_first("base[href]")
    if base_el is not None and base_el.attributes.get("href"):
        base = urljoin(page_url, base_el.attributes["href"] or "")
    html_el = tree.css_first("html")
    doc_lang = normalize_lang(html_el.attributes.get("lang")) if html_el is not None else None
    nodes = tree.css(opts.item)
    if not nodes:
        raise ParseError(f"selector {opts.item!r} matched nothing on the page "
                         "(site redesigned, or not the listing page?)")
    warnings: list[str] = []
    if len(nodes) > MAX_ITEMS:
        warnings.append(f"{len(nodes)} elements matched {opts.item!r}: kept the first {MAX_ITEMS}")
        nodes = nodes[:MAX_ITEMS]
    page_lang = source_lang or doc_lang or detect_script_lang(_text(tree.body)[:500])
    items: list[Item] = []
    for node in nodes:
        title_node = _select(node, opts.title)
        raw = RawEntry(
            title=_text(title_node) or (title_node.attributes.get("title") if title_node else None),
            link=_link(_select(node, opts.link)),
            summary_html=_text(node.css_first(opts.summary)) if opts.summary else None,
            published=_date(_text(node.css_first(opts.date)), opts, page_lang, now)
            if opts.date else None,
        )
        item = build_item(source, raw, base_url=base, source_lang=source_lang,
                          doc_lang=doc_lang)
        if item is not None:
            items.append(item)
    if not items:
        raise ParseError(f"selector {opts.item!r} matched {len(nodes)} elements but none had "
                         f"a title ({opts.title!r}) or a link ({opts.link!r})")
    return dedup(items, warnings), warnings


def parse_html(src: SourceConfig, resp: Response, now: datetime | None = None
               ) -> tuple[list[Item], list[str]]:
    if src.html is None:
        raise ParseError("kind: html needs an `html:` block")
    if not resp.body.strip():
        raise ParseError(f"empty body (HTTP {resp.status})")
    decoded = decode(resp.body, resp.content_type)
    items, warnings = parse_listing(src.name, decoded.text, resp.url, src.html,
                                    now or datetime.now(UTC), src.lang)
    return items, decoded.warnings + warnings
