"""Fast path for clean RSS 2.0 / Atom 1.0 / RSS 1.0 feeds with lxml.

feedparser spends ~15 ms on a 30-item feed; this reads the same fields in
~2 ms.  It handles only well-formed documents without a DOCTYPE or xml:base
and returns None for anything else, so every odd feed still goes through
feedparser's battle-tested lenient parsing.  Entities are never resolved and
the network is never touched.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from monitor.sources.dates import parse_date
from monitor.sources.entries import RawEntry
from monitor.sources.text import normalize_lang

_ATOM = "{http://www.w3.org/2005/Atom}"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_RSS1 = "{http://purl.org/rss/1.0/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_FEEDBURNER = "{http://rssnamespace.org/feedburner/ext/1.0}"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, recover=False, remove_comments=True,
                          remove_pis=True)


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return "".join(el.itertext()) if len(el) else el.text


def _rss_item(item: etree._Element, lang: str | None, now: datetime) -> RawEntry:
    guid_el = item.find("guid")
    guid = (guid_el.text or "").strip() if guid_el is not None else None
    link = (item.findtext("link") or "").strip() or None
    origin = item.findtext(_FEEDBURNER + "origLink")
    if origin:
        link = origin.strip()  # FeedBurner wraps links in its redirector
    if link is None and guid and guid_el is not None and \
            guid_el.get("isPermaLink", "true").lower() != "false" and "://" in guid:
        link = guid
    desc = item.findtext("description") or ""
    content = item.findtext(_CONTENT + "encoded") or ""
    raw_date = item.findtext("pubDate") or item.findtext(_DC + "date")
    return RawEntry(
        title=item.findtext("title"),
        link=link,
        guid=guid or None,
        summary_html=content if len(content) > len(desc) else desc,
        published=parse_date(raw_date, lang=lang, now=now),
    )


def _rdf_item(item: etree._Element, lang: str | None, now: datetime) -> RawEntry:
    return RawEntry(
        title=item.findtext(_RSS1 + "title"),
        link=(item.findtext(_RSS1 + "link") or "").strip() or None,
        guid=item.get(_RDF + "about"),
        summary_html=item.findtext(_CONTENT + "encoded") or item.findtext(_RSS1 + "description"),
        published=parse_date(item.findtext(_DC + "date"), lang=lang, now=now),
    )


def _atom_entry(entry: etree._Element, lang: str | None, now: datetime) -> RawEntry:
    link = None
    for el in entry.findall(_ATOM + "link"):
        if el.get("rel", "alternate") == "alternate" and el.get("href"):
            link = el.get("href")
            break
    title_el = entry.find(_ATOM + "title")
    content_el = entry.find(_ATOM + "content")
    summary_el = entry.find(_ATOM + "summary")
    content, summary = _text(content_el) or "", _text(summary_el) or ""
    raw_date = entry.findtext(_ATOM + "published") or entry.findtext(_ATOM + "updated")
    return RawEntry(
        title=_text(title_el),
        title_is_html=title_el is not None and title_el.get("type") in ("html", "xhtml"),
        link=link,
        guid=entry.findtext(_ATOM + "id"),
        summary_html=content if len(content) > len(summary) else summary,
        published=parse_date(raw_date, lang=lang, now=now),
    )


def parse_fast(data: bytes, lang_hint: str | None, now: datetime
               ) -> tuple[list[RawEntry], str | None] | None:
    """(entries, document language) for a clean feed; None to defer to feedparser."""
    if b"<!DOCTYPE" in data[:4096] or b"<!doctype" in data[:4096] or b"xml:base" in data:
        return None
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            return None
        doc_lang = normalize_lang(channel.findtext("language")
                                  or channel.findtext(_DC + "language"))
        lang = lang_hint or doc_lang
        return [_rss_item(i, lang, now) for i in channel.iterfind("item")], doc_lang
    if root.tag == _ATOM + "feed":
        doc_lang = normalize_lang(root.get("{http://www.w3.org/XML/1998/namespace}lang"))
        lang = lang_hint or doc_lang
        return [_atom_entry(e, lang, now) for e in root.iterfind(_ATOM + "entry")], doc_lang
    if root.tag == _RDF + "RDF":
        channel = root.find(_RSS1 + "channel")
        doc_lang = normalize_lang(channel.findtext(_DC + "language")) if channel is not None \
            else None
        lang = lang_hint or doc_lang
        return [_rdf_item(i, lang, now) for i in root.iterfind(_RSS1 + "item")], doc_lang
    return None
