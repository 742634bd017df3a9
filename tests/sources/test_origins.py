"""Origins and addresses: headers stay on their origin, feeds cannot steer us inward.

Non-loopback addresses are only ever *pretended*: a resolver hook says what a
name resolves to and httpx.MockTransport answers, so no packet leaves the host.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from monitor.config import Defaults, HtmlOptions, SourceConfig
from monitor.models import FetchResult
from monitor.origins import classify
from monitor.sources import fetch_many, follow_new
from tests.fakes.feeds import FeedServer

RSS = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
       "<item><title>MOFCOM announces export controls on gallium</title>"
       "<link>https://feeds.example/a</link><guid>a</guid></item></channel></rss>")
SECRET = {"Authorization": "Bearer s3cret-token", "X-Api-Key": "k3y"}
DNS = {"feeds.example": ["93.184.216.34"], "cdn.example": ["151.101.1.1"],
       "internal.example": ["10.0.0.1"], "sneaky.example": ["169.254.169.254"],
       "v6.example": ["::ffff:169.254.169.254"]}


async def resolver(host: str) -> list[str]:
    return DNS.get(host, [])


class Recorder:
    """A MockTransport that records every request and answers from a routing table."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        resp = self.routes.get(str(request.url))
        return resp if resp is not None else httpx.Response(
            200, content=RSS.encode(), headers={"content-type": "application/rss+xml"})

    def sent_to(self, url: str) -> httpx.Request:
        return next(r for r in self.requests if str(r.url) == url)


def redirect(to: str) -> httpx.Response:
    return httpx.Response(302, headers={"location": to})


def poll(source: SourceConfig, rec: Recorder, **kw: object) -> FetchResult:
    [result] = asyncio.run(fetch_many([source], {}, Defaults(timeout=5),
                                      transport=httpx.MockTransport(rec),
                                      resolver=resolver, **kw))  # type: ignore[arg-type]
    return result


def test_headers_go_to_the_configured_origin_only() -> None:
    rec = Recorder({"https://feeds.example/feed": redirect("https://feeds.example/v2"),
                    "https://feeds.example/v2": redirect("https://cdn.example/feed.xml")})
    r = poll(SourceConfig(name="s", url="https://feeds.example/feed", headers=SECRET), rec)
    assert r.status == "ok", r.error
    assert rec.sent_to("https://feeds.example/feed").headers["x-api-key"] == "k3y"
    assert rec.sent_to("https://feeds.example/v2").headers["authorization"] == SECRET[
        "Authorization"]
    other = rec.sent_to("https://cdn.example/feed.xml").headers
    assert "authorization" not in other and "x-api-key" not in other


def test_same_host_other_port_or_scheme_is_another_origin() -> None:
    rec = Recorder({"https://feeds.example/feed": redirect("https://feeds.example:8443/f")})
    poll(SourceConfig(name="s", url="https://feeds.example/feed", headers=SECRET), rec)
    assert "x-api-key" not in rec.sent_to("https://feeds.example:8443/f").headers


def test_https_to_http_downgrade_is_refused() -> None:
    rec = Recorder({"https://feeds.example/feed": redirect("http://feeds.example/feed")})
    r = poll(SourceConfig(name="s", url="https://feeds.example/feed", headers=SECRET), rec)
    assert r.status == "error" and "https down to plain http" in str(r.error)
    assert [str(q.url) for q in rec.requests] == ["https://feeds.example/feed"]


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://sneaky.example/latest/meta-data/", "http://v6.example/",
    "http://metadata.google.internal/computeMetadata/v1/", "http://[fe80::1]/",
])
def test_redirect_to_link_local_or_metadata_is_refused_always(target: str) -> None:
    rec = Recorder({"http://feeds.example/feed": redirect(target)})
    source = SourceConfig(name="s", url="http://feeds.example/feed", allow_private=True)
    r = poll(source, rec)
    assert r.status == "error" and "metadata" in str(r.error)
    assert len(rec.requests) == 1  # nothing was sent to the target


def test_public_feed_cannot_redirect_into_private_space_unless_allowed() -> None:
    rec = Recorder({"https://feeds.example/feed": redirect("https://internal.example/admin")})
    r = poll(SourceConfig(name="s", url="https://feeds.example/feed"), rec)
    assert r.status == "error" and "private address 10.0.0.1" in str(r.error)
    assert "allow_private" in str(r.error) and len(rec.requests) == 1
    rec = Recorder({"https://feeds.example/feed": redirect("https://internal.example/admin")})
    r = poll(SourceConfig(name="s", url="https://feeds.example/feed", allow_private=True), rec)
    assert r.status == "ok" and len(rec.requests) == 2


def test_configured_name_resolving_to_metadata_is_refused() -> None:
    rec = Recorder({})
    r = poll(SourceConfig(name="s", url="http://sneaky.example/feed"), rec)
    assert r.status == "error" and "169.254.169.254" in str(r.error)
    assert rec.requests == []


def test_follow_sends_headers_only_to_the_listing_origin() -> None:
    listing = ('<html><body><ul><li><a href="https://feeds.example/own">Own article</a></li>'
               '<li><a href="https://cdn.example/other">Other article</a></li>'
               '<li><a href="http://internal.example/x">Internal</a></li></ul></body></html>')
    page = httpx.Response(200, content=b"<html><body><p>lead</p></body></html>",
                          headers={"content-type": "text/html"})
    rec = Recorder({"https://feeds.example/list": httpx.Response(
        200, content=listing.encode(), headers={"content-type": "text/html; charset=utf-8"}),
        "https://feeds.example/own": page, "https://cdn.example/other": page})
    source = SourceConfig(name="s", url="https://feeds.example/list", kind="html",
                          headers=SECRET, html=HtmlOptions(item="li", follow=True))
    r = poll(source, rec, enrich=follow_new(lambda _item: False))
    assert r.status == "ok", r.error
    assert rec.sent_to("https://feeds.example/own").headers["x-api-key"] == "k3y"
    assert "x-api-key" not in rec.sent_to("https://cdn.example/other").headers
    assert "authorization" not in rec.sent_to("https://cdn.example/other").headers
    assert not any("internal.example" in str(q.url) for q in rec.requests)
    assert any("internal.example" in w and "refused" in w for w in r.warnings)


def test_loopback_source_redirects_stay_allowed_and_strip_headers_across_origins(
        feed_server: FeedServer) -> None:
    # 127.0.0.1 and localhost are one server but two origins.
    final = feed_server.set("/final.xml", RSS).replace("127.0.0.1", "localhost")
    url = feed_server.set("/start.xml", "", status=302, headers={"Location": final})
    [r] = asyncio.run(fetch_many([SourceConfig(name="s", url=url, headers=SECRET)], {},
                                 Defaults(timeout=5)))
    assert r.status == "ok", r.error
    assert feed_server.hits("/start.xml")[-1]["x-api-key"] == "k3y"
    assert "x-api-key" not in feed_server.hits("/final.xml")[-1]


def test_address_classes() -> None:
    assert classify("169.254.169.254") == classify("fe80::1") == "forbidden"
    assert classify("fd00:ec2::254") == classify("100.100.100.200") == "forbidden"
    assert classify("127.0.0.1") == classify("10.1.2.3") == classify("::1") == "private"
    assert classify("192.168.0.1") == classify("fc00::1") == classify("100.64.0.1") == "private"
    assert classify("93.184.216.34") == classify("2606:2800:220:1::1") == "public"
