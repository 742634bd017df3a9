"""sources/feed.py: a feed response becomes items and warnings, or a ParseError saying why."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from monitor.errors import ParseError
from monitor.sources.feed import parse_feed
from monitor.sources.http import Response

NOW = datetime(2026, 1, 1, tzinfo=UTC)
URL = "https://feed.example/news/rss"


def _resp(body: bytes, ctype: str = "application/rss+xml", **headers: str) -> Response:
    return Response(url=URL, status=200, headers=httpx.Headers({"content-type": ctype, **headers}),
                    body=body, elapsed=0.0)


def _rss(items: str, prolog: str = "") -> bytes:
    return (f'{prolog}<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>T</title>{items}</channel></rss>").encode()


def test_items_with_relative_links_resolved_against_the_feed_url() -> None:
    items, warnings = parse_feed("s", _resp(_rss(
        "<item><title>One</title><link>/a/1</link><guid>g1</guid></item>")), NOW)
    assert [(i.title, i.url, i.guid) for i in items] == [("One", "https://feed.example/a/1",
                                                           "g1")]
    assert warnings == []


def test_content_location_is_the_base_for_relative_links() -> None:
    items, _ = parse_feed("s", _resp(_rss("<item><title>One</title><link>2</link></item>"),
                                     **{"content-location": "https://cdn.example/x/"}), NOW)
    assert items[0].url == "https://cdn.example/x/2"


@pytest.mark.parametrize(("body", "ctype", "message"), [
    (b"   ", "application/rss+xml", "empty body"),
    (b"<!doctype html><html><body>Login</body></html>", "text/html", "got an HTML page"),
    (b'{"items": []}', "application/json", "got JSON"),
    (b"plain words, no markup", "text/plain", "not a feed"),
])
def test_not_a_feed_is_a_clear_error(body: bytes, ctype: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed("s", _resp(body, ctype), NOW)


def test_external_entity_doctype_is_removed_with_a_warning() -> None:
    body = _rss("<item><title>Safe &amp; sound</title><link>https://x.example/1</link></item>")
    body = body.replace(b"<rss", b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                        b"\n<rss", 1)
    items, warnings = parse_feed("s", _resp(body), NOW)
    assert [i.title for i in items] == ["Safe & sound"]
    assert any("XXE" in w for w in warnings)


def test_junk_before_the_declaration_is_tolerated() -> None:
    items, _ = parse_feed("s", _resp(_rss("<item><title>A</title></item>", prolog="\n\n")), NOW)
    assert [i.title for i in items] == ["A"]


def test_entries_without_title_or_link_are_skipped_and_counted() -> None:
    items, warnings = parse_feed("s", _resp(_rss(
        "<item><title>Kept</title></item><item><description></description></item>")), NOW)
    assert [i.title for i in items] == ["Kept"]
    assert any("neither a title nor" in w for w in warnings)


def test_duplicate_guids_keep_the_first() -> None:
    items, warnings = parse_feed("s", _resp(_rss(
        "<item><title>A</title><guid>same</guid></item>"
        "<item><title>B</title><guid>same</guid></item>")), NOW)
    assert [i.title for i in items] == ["A"]
    assert any("repeated" in w for w in warnings)


def test_malformed_feed_goes_to_feedparser_and_says_so() -> None:
    body = _rss("<item><title>A &nbsp; B</title><link>https://x.example/1</link></item>")
    items, warnings = parse_feed("s", _resp(body), NOW)
    assert [i.url for i in items] == ["https://x.example/1"]
    assert any("parsed leniently" in w for w in warnings)
