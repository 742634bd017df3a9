"""sources/poll.py: one source polled into one FetchResult, whatever happens.

MockTransport answers (no socket); a resolver hook says what the host resolves to.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from monitor.config import Defaults, SourceConfig
from monitor.models import FetchResult, Validators
from monitor.sources.poll import SharedPoller, fetch_many

URL = "https://feeds.example/feed"
RSS = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
       "<item><title>Export controls on gallium</title>"
       "<link>https://feeds.example/a</link><guid>a</guid></item></channel></rss>")


async def resolver(host: str) -> list[str]:
    return ["93.184.216.34"]  # a public address: never dialled, MockTransport answers


def _poll(handler: httpx.MockTransport, validators: Validators | None = None,
          src: SourceConfig | None = None) -> tuple[FetchResult, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler.handle_request(request)

    source = src or SourceConfig(name="s", url=URL)
    [result] = asyncio.run(fetch_many(
        [source], {"s": validators} if validators else {}, Defaults(timeout=5),
        transport=httpx.MockTransport(record), resolver=resolver))
    return result, seen


def _answer(status: int = 200, body: str = RSS, **headers: str) -> httpx.MockTransport:
    return httpx.MockTransport(lambda _r: httpx.Response(
        status, content=body.encode(), headers={"content-type": "application/rss+xml",
                                                **headers}))


def test_ok_result_carries_items_and_the_new_validators() -> None:
    result, [request] = _poll(_answer(etag='"v2"', **{"last-modified": "Tue, 02 Dec 2025"}))
    assert result.status == "ok" and [i.title for i in result.items] == [
        "Export controls on gallium"]
    assert (result.etag, result.last_modified) == ('"v2"', "Tue, 02 Dec 2025")
    assert "rss+xml" in request.headers["accept"]


def test_validators_are_sent_and_304_is_not_modified() -> None:
    result, [request] = _poll(_answer(304, ""), Validators(etag='"v1"', last_modified="Mon"))
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["if-modified-since"] == "Mon"
    assert result.status == "not_modified" and result.items == []


def test_no_validators_no_conditional_headers() -> None:
    _result, [request] = _poll(_answer())
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers


@pytest.mark.parametrize(("status", "body"), [(500, "oops"), (200, "<html><body>x</body></html>")])
def test_a_failed_poll_is_an_error_result_without_validators(status: int, body: str) -> None:
    result, _ = _poll(_answer(status, body, etag='"bad"'))
    assert result.status == "error" and result.error
    assert result.etag is None and result.last_modified is None


def test_an_unexpected_exception_stays_inside_the_result() -> None:
    def boom(_request: httpx.Request) -> httpx.Response:
        raise RuntimeError("parser exploded")

    result, _ = _poll(httpx.MockTransport(boom))
    assert result.status == "error"
    assert result.error and "RuntimeError" in result.error


def test_one_result_per_source_in_input_order() -> None:
    sources = [SourceConfig(name=n, url=f"https://feeds.example/{n}") for n in ("b", "a", "c")]
    results = asyncio.run(fetch_many(sources, {}, Defaults(timeout=5),
                                     transport=_answer(), resolver=resolver))
    assert [r.source for r in results] == ["b", "a", "c"]
    assert asyncio.run(fetch_many([], {}, Defaults())) == []


def test_shared_poller_reuses_one_client() -> None:
    async def run() -> list[FetchResult]:
        poller = SharedPoller(Defaults(timeout=5), transport=_answer())
        poller.fetcher._base_resolver = resolver  # the hook fetch_many takes as resolver=
        try:
            src = SourceConfig(name="s", url=URL)
            return [await poller.poll(src, None), await poller.poll(src, Validators("x"))]
        finally:
            await poller.aclose()

    assert [r.status for r in asyncio.run(run())] == ["ok", "ok"]
