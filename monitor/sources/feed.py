"""RSS / Atom / RDF bytes -> Items, via feedparser, defensively.

We decode the bytes ourselves (see `encoding`) and hand feedparser clean UTF-8
with an honest declaration: its own fallback picks the wrong codec for real
feeds (CP932 declared as Shift_JIS comes out as ISO-8859-2).  Before parsing
we drop any DOCTYPE that declares nested, parameter or external entities:
those are entity-expansion bombs or XXE probes, never something a news feed
needs.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from monitor.errors import ParseError
from monitor.models import Item
from monitor.sources.dates import parse_date
from monitor.sources.encoding import decode
from monitor.sources.entries import RawEntry, build_item, dedup
from monitor.sources.http import Response
from monitor.sources.text import normalize_lang

MAX_ENTRIES = 2000  # a feed with more is broken or hostile; the newest come first anyway

_XML_DECL_ANY = re.compile(r"<\?xml\s[^>]*\?>")
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_DOCTYPE = re.compile(r"<!DOCTYPE", re.I)
_ENTITY_DECL = re.compile(r"<!ENTITY\s+(%\s*)?([^\s>]+)\s+(SYSTEM|PUBLIC|[\"'])", re.I)
_SAFE_ENTITY = re.compile(r"<!ENTITY\s+[\w.-]+\s+([\"'])([^&%\"'<]*|&#\w+;)\1\s*>")
_FEED_ROOT = re.compile(r"<(?:[\w-]+:)?(rss|feed|RDF|channel)\b", re.I)
_HTML_ROOT = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)


def _sanitize_prolog(text: str, warnings: list[str]) -> str:
    """Strip leading junk before the XML declaration and any dangerous DOCTYPE."""
    text = text.lstrip("\ufeff \t\r\n")
    first = _FIRST_ELEMENT.search(text)
    prolog_end = first.start() if first else len(text)
    prolog = text[:prolog_end]
    dt = _DOCTYPE.search(prolog)
    if dt:
        subset = prolog[dt.start():]
        decls = _ENTITY_DECL.findall(subset)
        unsafe = any(pct or kind.upper() in ("SYSTEM", "PUBLIC") for pct, _, kind in decls)
        declared = len(re.findall(r"<!ENTITY", subset, re.I))
        safe = len(_SAFE_ENTITY.findall(subset))
        if unsafe or declared != safe:
            warnings.append("removed a DOCTYPE declaring nested, parameter or external "
                            "entities (entity-expansion/XXE guard)")
            text = prolog[: dt.start()] + text[prolog_end:]
    # Our decoded text is re-encoded as UTF-8; the declaration must say so, and it
    # must come first (some feeds put a comment or blank lines before it).
    first = _FIRST_ELEMENT.search(text)
    prolog_end = first.start() if first else len(text)
    prolog = _XML_DECL_ANY.sub("", text[:prolog_end])
    return '<?xml version="1.0" encoding="utf-8"?>\n' + prolog.lstrip() + text[prolog_end:]


def _is_html_page(text: str, content_type: str) -> bool:
    head = text[:4096]
    if _FEED_ROOT.search(head) and not _HTML_ROOT.match(head):
        return False
    return ("html" in content_type.lower() and "xhtml+xml" not in content_type.lower()) \
        or bool(_HTML_ROOT.match(head))


def _bozo_message(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    if exc is None:
        return "malformed XML"
    msg = getattr(exc, "getMessage", lambda: str(exc))()
    line = getattr(exc, "getLineNumber", lambda: None)()
    where = f" at line {line}" if line else ""
    return f"malformed XML ({msg}{where})"


def _entry_fields(e: Any, source_lang: str | None, doc_lang: str | None,
                  now: datetime) -> RawEntry:
    detail = e.get("title_detail") or {}
    summary = e.get("summary") or ""
    content = e.get("content") or []
    if content and isinstance(content, list):
        body = content[0].get("value") or ""
        if len(body) > len(summary):
            summary = body
    # dict.get: FeedParserDict aliases updated<->published with a DeprecationWarning.
    raw_date = dict.get(e, "published") or dict.get(e, "updated") or dict.get(e, "created")
    parsed = (dict.get(e, "published_parsed") or dict.get(e, "updated_parsed")
              or dict.get(e, "created_parsed"))
    lang = source_lang or normalize_lang(e.get("language")) or doc_lang
    link = e.get("feedburner_origlink") or e.get("link")
    if e.get("guidislink") and link and "/" not in link and ":" not in link:
        link = None  # feedparser copied a bare GUID like "2" into the link
    return RawEntry(
        title=e.get("title"),
        title_is_html="html" in str(detail.get("type", "")),
        # FeedBurner wraps links in its redirector; the original is the article.
        link=link,
        guid=e.get("id"),
        summary_html=summary,
        published=parse_date(raw_date, lang=lang, now=now, fallback=parsed),
        lang=normalize_lang(detail.get("language")),
    )


def parse_feed(source: str, resp: Response, now: datetime, source_lang: str | None = None,
               ) -> tuple[list[Item], list[str]]:
    """Items and warnings from a feed response; ParseError when it is not a usable feed."""
    if not resp.body.strip():
        raise ParseError(f"empty body (HTTP {resp.status})")
    decoded = decode(resp.body, resp.content_type)
    warnings = list(decoded.warnings)
    ctype = resp.content_type.split(";")[0].strip() or "no Content-Type"
    if _is_html_page(decoded.text, ctype):
        raise ParseError(f"not a feed: got an HTML page ({ctype})")
    if decoded.text.lstrip("\ufeff \t\r\n")[:1] in ("{", "["):
        raise ParseError(f"not a feed: got JSON ({ctype}); use kind: json")
    data = _sanitize_prolog(decoded.text, warnings).encode("utf-8")
    loc = resp.headers.get("content-location")
    base = _join(resp.url, loc) if loc else resp.url
    from monitor.sources.fastfeed import parse_fast  # lxml: only when there is a body

    fast = parse_fast(data, source_lang, now)
    bozo: str | None = None
    if fast is not None:
        raws, doc_lang = fast
    else:
        raws, doc_lang, bozo = _parse_slow(data, ctype, source_lang, now, warnings)
    if len(raws) > MAX_ENTRIES:
        warnings.append(f"{len(raws)} entries: kept the first {MAX_ENTRIES}")
        raws = raws[:MAX_ENTRIES]
    items: list[Item] = []
    for raw in raws:
        item = build_item(source, raw, base_url=base, source_lang=source_lang,
                          doc_lang=doc_lang)
        if item is not None:
            items.append(item)
    if len(items) < len(raws):
        warnings.append(f"{len(raws) - len(items)} entries had neither a title nor an "
                        "http(s) link: skipped")
    if not items and bozo:
        raise ParseError(f"{bozo}: no usable entries recovered")
    return dedup(items, warnings), warnings


def _parse_slow(data: bytes, ctype: str, source_lang: str | None, now: datetime,
                warnings: list[str]) -> tuple[list[RawEntry], str | None, str | None]:
    """feedparser for everything the fast path declines: (entries, language, bozo message)."""
    # No content-location for feedparser: it would also "resolve" non-URL GUIDs
    # ("2" -> "http://host/2").  We resolve links against the feed URL ourselves.
    # No sanitising or URI rewriting inside HTML: we keep plain text only (scripts and
    # styles are dropped by `html_to_text`), and those passes cost 40% of parse time.
    import feedparser  # the slow path: loaded when a feed first needs it

    parsed = feedparser.parse(data, response_headers={
        "content-type": "application/xml; charset=utf-8"},
        sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries") or []
    bozo = _bozo_message(parsed) if parsed.get("bozo") else None
    if bozo:
        if not entries:
            if parsed.get("version") or (parsed.get("feed") or {}).get("title"):
                raise ParseError(f"{bozo}: no entries recovered")
            raise ParseError(f"not a feed: {bozo}, no RSS/Atom/RDF root element")
        warnings.append(f"{bozo}: parsed leniently, {len(entries)} entries recovered")
    elif not entries and not parsed.get("version"):
        raise ParseError(f"not a feed: no RSS/Atom/RDF root element ({ctype})")
    doc_lang = normalize_lang((parsed.get("feed") or {}).get("language"))
    lang_hint = source_lang or doc_lang
    return [_entry_fields(e, lang_hint, doc_lang, now) for e in entries[:MAX_ENTRIES + 1]], \
        doc_lang, bozo


def _join(base: str, ref: str) -> str:

    return urljoin(base, ref)
