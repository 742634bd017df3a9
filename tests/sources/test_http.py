"""End-to-end fetch behaviour against a real loopback server: every failure is a result."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from monitor.config import Defaults, SourceConfig
from monitor.models import FetchResult, Validators
from monitor.sources import fetch_all, fetch_many
from monitor.sources.http import parse_retry_after
from tests.fakes.feeds import FeedServer

RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>MOFCOM announces export controls on gallium</title>"
    "<link>http://example.org/a?utm_source=rss</link><guid>http://example.org/a</guid>"
    "<pubDate>Thu, 09 Oct 2025 08:00:00 GMT</pubDate></item>"
    "<item><title>Second &amp;amp; item</title><link>/relative/b</link><guid>2</guid></item>"
    "</channel></rss>"
)

FAST = Defaults(timeout=2.0, connect_timeout=1.0, max_bytes=256 * 1024)


def src(name: str, url: str, **kw: object) -> SourceConfig:
    return SourceConfig(name=name, url=url, **kw)  # type: ignore[arg-type]


def one(server: FeedServer, path: str, body: bytes | str = b"", *, defaults: Defaults = FAST,
        state: Validators | None = None, **route: object) -> FetchResult:
    url = server.set(path, body, **route)  # type: ignore[arg-type]
    states = {"s": state} if state else {}
    [result] = fetch_all([src("s", url)], states, defaults)
    return result


def test_feed_items_and_conditional_get(server: FeedServer) -> None:
    url = server.set("/feed", RSS, headers={"Last-Modified": "Thu, 09 Oct 2025 08:00:00 GMT"})
    [first] = fetch_all([src("s", url)], {}, FAST)
    assert first.status == "ok", first.error
    assert first.http_status == 200 and first.etag
    titles = [i.title for i in first.items]
    assert titles == ["MOFCOM announces export controls on gallium", "Second & item"]
    a, b = first.items
    assert a.canonical_url == "http://example.org/a"
    assert a.published == datetime(2025, 10, 9, 8, tzinfo=UTC)
    assert b.url == server.url("/relative/b")
    assert b.id.startswith("g:")  # GUID "2" is only unique within its source

    state = Validators(etag=first.etag, last_modified=first.last_modified)
    [second] = fetch_all([src("s", url)], {"s": state}, FAST)
    assert second.status == "not_modified" and second.items == []
    sent = server.hits("/feed")[-1]
    assert sent["if-none-match"] == first.etag
    assert sent["if-modified-since"] == "Thu, 09 Oct 2025 08:00:00 GMT"
    assert sent["user-agent"] == FAST.user_agent


def test_http_error_is_specific(server: FeedServer) -> None:
    r = one(server, "/boom", body="oops", status=500)
    assert r.status == "error" and r.error == "HTTP 500 Internal Server Error"
    assert r.http_status == 500 and r.etag is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_reported(server: FeedServer, status: int) -> None:
    r = one(server, "/slow-down", status=status, headers={"Retry-After": "120"})
    assert r.status == "error" and r.retry_after == 120.0
    assert r.error is not None and r.error.startswith(f"HTTP {status}")


def test_retry_after_http_date() -> None:
    now = datetime(2025, 10, 9, 8, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 09 Oct 2025 08:05:00 GMT", now) == 300.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("999999999", now) == 7 * 86400.0


def test_redirect_followed_and_loop_reported(server: FeedServer) -> None:
    server.set("/final", RSS)
    r = one(server, "/moved", status=301, headers={"Location": "/final"})
    assert r.status == "ok" and len(r.items) == 2
    server.set("/loop-a", status=302, headers={"Location": "/loop-b"})
    r = one(server, "/loop-b", status=302, headers={"Location": "/loop-a"})
    assert r.status == "error" and r.error is not None and r.error.startswith("redirect loop")


def test_hanging_server_hits_the_deadline(server: FeedServer) -> None:
    r = one(server, "/hang", defaults=Defaults(timeout=0.5, connect_timeout=0.5), hang=True)
    assert r.status == "error" and r.error == "timed out after 0.5s"


def test_trickling_server_hits_the_overall_deadline(server: FeedServer) -> None:
    # One byte every 0.1 s never trips a per-read timeout; the overall deadline must.
    r = one(server, "/trickle", RSS, defaults=Defaults(timeout=0.8, connect_timeout=0.5),
            trickle=0.1)
    assert r.status == "error" and r.error == "timed out after 0.8s"


def test_endless_body_is_cut_at_the_cap(server: FeedServer) -> None:
    r = one(server, "/endless", endless=True)
    assert r.status == "error" and r.error == "body exceeded 256 KiB cap"


def test_declared_oversize_body_is_refused_before_download(server: FeedServer) -> None:
    r = one(server, "/big", b"x" * (300 * 1024))
    assert r.status == "error" and r.error is not None
    assert r.error.startswith("body exceeded 256 KiB cap")


def test_html_served_as_feed(server: FeedServer) -> None:
    r = one(server, "/page", "<!DOCTYPE html><html><body><p>hello</p></body></html>",
            content_type="text/html; charset=utf-8")
    assert r.status == "error" and r.error == "not a feed: got an HTML page (text/html)"


def test_empty_body(server: FeedServer) -> None:
    r = one(server, "/empty", b"")
    assert r.status == "error" and r.error == "empty body (HTTP 200)"


def test_connection_refused_is_a_result() -> None:
    [r] = fetch_all([src("dead", "http://127.0.0.1:9/feed")], {}, FAST)
    assert r.status == "error" and r.error is not None and "connect" in r.error


def test_results_keep_input_order_and_isolation(server: FeedServer) -> None:
    good = server.set("/good", RSS)
    bad = server.set("/bad", status=404)
    sources = [src("a", bad), src("b", good), src("c", server.url("/missing")), src("d", good)]
    results = fetch_all(sources, {}, FAST)
    assert [r.source for r in results] == ["a", "b", "c", "d"]
    assert [r.status for r in results] == ["error", "ok", "error", "ok"]


def test_source_headers_override_defaults(server: FeedServer) -> None:
    url = server.set("/h", RSS)
    fetch_all([src("s", url, headers={"Accept": "application/xml", "X-Key": "1"})], {}, FAST)
    sent = server.hits("/h")[-1]
    assert sent["accept"] == "application/xml" and sent["x-key"] == "1"


def test_per_host_concurrency_is_capped() -> None:
    active = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return httpx.Response(200, content=RSS.encode(),
                              headers={"content-type": "application/rss+xml"})

    sources = [src(f"s{i}", f"http://one.example/{i}") for i in range(12)]
    results = asyncio.run(fetch_many(sources, {}, Defaults(per_host=3, concurrency=16),
                                     transport=httpx.MockTransport(handler)))
    assert all(r.status == "ok" for r in results)
    assert 1 <= peak <= 3
