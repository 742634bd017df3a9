"""sources/fastfeed.py: the lxml fast path reads clean feeds, declines odd ones, and agrees
with feedparser (titles, links, GUIDs, dates) on every shared fixture feed it accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.sources.encoding import decode
from monitor.sources.entries import build_item
from monitor.sources.fastfeed import parse_fast
from monitor.sources.feed import _parse_slow, _sanitize_prolog

from .conftest import FIXTURES

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FEEDS = FIXTURES / "feeds"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><language>zh-CN</language>
<item><title>First &amp; foremost</title><link>https://example.org/1</link>
<guid isPermaLink="false">g-1</guid><pubDate>Tue, 02 Dec 2025 08:00:00 GMT</pubDate>
<description>&lt;p&gt;Body&lt;/p&gt;</description></item>
<item><title>Second</title><link>https://example.org/2</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja">
<title>T</title><entry><title>Atom one</title><id>urn:x:1</id>
<link rel="alternate" href="https://example.org/a1"/>
<updated>2025-12-02T08:00:00Z</updated><summary>S</summary></entry></feed>"""


def test_rss_fields_and_document_language() -> None:
    got = parse_fast(RSS, None, NOW)
    assert got is not None
    entries, lang = got
    assert lang == "zh"
    assert [e.title for e in entries] == ["First & foremost", "Second"]
    assert entries[0].guid == "g-1" and entries[0].link == "https://example.org/1"
    assert entries[0].published == datetime(2025, 12, 2, 8, tzinfo=UTC)
    assert entries[0].summary_html == "<p>Body</p>"


def test_atom_entry_and_document_language() -> None:
    got = parse_fast(ATOM, "en", NOW)
    assert got is not None
    [entry], doc_lang = got
    assert doc_lang == "ja" and entry.lang is None  # no xml:lang of its own
    assert (entry.title, entry.guid, entry.link) == ("Atom one", "urn:x:1",
                                                     "https://example.org/a1")


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "x.dtd"><rss><channel/></rss>',
    b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://x/"></feed>',
    b"<rss><channel><item><title>unclosed</channel></rss>",
    b"<html><body>not a feed</body></html>",
    b"<rss version='2.0'></rss>",
])
def test_declines_what_feedparser_should_read(data: bytes) -> None:
    assert parse_fast(data, None, NOW) is None


def _feed_files() -> list[Path]:
    return sorted(p for p in FEEDS.iterdir() if p.is_file()) if FEEDS.is_dir() else []


def _items(raws: list, doc_lang: str | None) -> list[tuple[object, ...]]:
    out = []
    for raw in raws:
        item = build_item("s", raw, base_url="https://feed.example/", source_lang=None,
                          doc_lang=doc_lang)
        if item is not None:
            out.append((item.title, item.url, item.guid, item.published))
    return out


@pytest.mark.skipif(not FEEDS.is_dir(), reason=f"shared feed fixtures not found at {FEEDS}")
@pytest.mark.parametrize("path", _feed_files(), ids=lambda p: p.name)
def test_fast_path_agrees_with_feedparser(path: Path) -> None:
    decoded = decode(path.read_bytes(), None)
    data = _sanitize_prolog(decoded.text, []).encode("utf-8")
    fast = parse_fast(data, None, NOW)
    if fast is None:
        pytest.skip(f"{path.name}: the fast path declines it (feedparser alone reads it)")
    try:
        slow, slow_lang, _bozo = _parse_slow(data, "application/xml", None, NOW, [])
    except Exception as e:
        pytest.fail(f"fast path accepted {path.name} but feedparser rejects it: {e}")
    raws, fast_lang = fast
    assert fast_lang == slow_lang
    assert _items(raws, fast_lang) == _items(slow, slow_lang)
