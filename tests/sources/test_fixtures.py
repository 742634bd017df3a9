"""Every shared fixture through the real pipeline over loopback HTTP: items or a clear error.

Fixtures are read from ../shared/fixtures (never copied here); the module is
skipped with a reason when that checkout is absent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import Defaults, HtmlOptions, JsonOptions, SourceConfig
from monitor.models import FetchResult
from monitor.sources import fetch_all
from tests.fakes.feeds import FeedServer

from .conftest import FIXTURES, fixtures_dir

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(),
                                reason=f"shared fixtures not found at {FIXTURES}")

DEFAULTS = Defaults(timeout=10.0, connect_timeout=5.0)
_HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", re.M)


def all_fixture_files() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*")
                  if p.is_file() and p.name not in ("README.md", "LICENSE"))


def _source_for(path: Path, url: str) -> SourceConfig:
    name = re.sub(r"[^\w.-]+", "_", str(path.relative_to(FIXTURES)))
    if path.suffix == ".json":
        return SourceConfig(name=name, url=url, kind="json", json_map=JsonOptions(
            items="results", id="document_number", title="title", link="html_url",
            date="publication_date", summary="abstract"))
    if path.suffix == ".html":
        return SourceConfig(name=name, url=url, kind="html", html=HtmlOptions(
            item="tr", title="td", link="a", date="td"))
    return SourceConfig(name=name, url=url)


def _headers(body: bytes) -> tuple[str | None, dict[str, str]]:
    """feedparser's corpus fakes HTTP headers in a comment; serve them for real."""
    ctype: str | None = "application/xml"
    extra: dict[str, str] = {}
    for k, v in _HEADER.findall(body[:2048]):
        key, value = k.decode(), v.decode()
        if key.lower() == "content-type":
            ctype = value
        else:
            extra[key] = value
    return ctype, extra


def _serve(server: FeedServer, path: Path, **kw: object) -> SourceConfig:
    body = path.read_bytes()
    ctype, extra = _headers(body)
    route = "/" + str(path.relative_to(FIXTURES))
    opts: dict[str, object] = {"content_type": ctype, "headers": extra}
    if path.suffix == ".json":
        opts["content_type"] = "application/json"
    elif path.suffix == ".html":
        opts["content_type"] = "text/html"
    opts.update(kw)
    return _source_for(path, server.set(route, body, **opts))  # type: ignore[arg-type]


def _check_sane(r: FetchResult) -> None:
    now = datetime.now(UTC)
    if r.status == "error":
        assert r.error and "Traceback" not in r.error
        assert not r.error.startswith("internal error"), r.error
        return
    for item in r.items:
        assert item.title and "\n" not in item.title and "<script" not in item.title.lower()
        assert len(item.summary) <= 2000
        assert item.url is None or item.url.startswith(("http://", "https://"))
        if item.published is not None:
            assert item.published.tzinfo is not None
            assert item.published.year >= 1990
            assert item.published <= now + timedelta(minutes=10)


def test_every_fixture_yields_items_or_a_clear_error(server: FeedServer) -> None:
    files = all_fixture_files()
    assert files, "fixture directory is empty"
    sources = [_serve(server, p) for p in files]
    results = fetch_all(sources, {}, DEFAULTS)
    assert len(results) == len(files)
    for path, r in zip(files, results, strict=True):
        _check_sane(r)
        assert r.status == "error" or r.items or r.warnings or path.parent.name in (
            "encoding", "illformed", "wellformed", "atom", "rss", "base", "rdf", "sanitize",
        ), f"{path.name}: ok but no items and no explanation"
    by_name = {p.name: r for p, r in zip(files, results, strict=True)}
    assert by_name["guardian_us_2018.rss"].status == "ok"
    assert len(by_name["guardian_us_2018.rss"].items) == 55
    assert by_name["empty_document_feedparser.xml"].status == "error"
    assert by_name["intertat_ru_cp1251_truncated.xml"].status == "error"
    assert "no entries" in (by_name["intertat_ru_cp1251_truncated.xml"].error or "")


def _fetch(server: FeedServer, rel: str, **kw: object) -> FetchResult:
    path = fixtures_dir() / rel
    [r] = fetch_all([_serve(server, path, **kw)], {}, DEFAULTS)
    return r


@pytest.mark.parametrize(("rel", "title"), [
    ("feeds/qq_news_china_gb2312.xml", "习近平为何如此强调崇尚英雄？"),
    ("feeds/sinica_edu_tw_big5.atom", "新年快樂"),
    ("feeds/ycf_nanet_eucjp_rss10.rdf", "さだまさし"),
    ("feeds/yasuhisa_shiftjis_rss10_empty_date.rdf", "ポータル 2.0"),
    ("feeds/y-moto_cp932_declared_shiftjis.atom", "さらなる防寒対策"),
    ("feeds/jn_pt_ultimas_iso-8859-1.rss", "Mãe de utente é a nova presidente da Raríssimas"),
])
def test_declared_legacy_charsets_decode_cleanly(server: FeedServer, rel: str, title: str) -> None:
    r = _fetch(server, rel)  # Content-Type without charset: the document's declaration rules
    assert r.status == "ok" and r.warnings == []
    assert r.items[0].title == title


def test_gb2312_body_declared_as_utf8_is_detected(server: FeedServer) -> None:
    r = _fetch(server, "feeds/qq_news_china_gb2312.xml",
               content_type="application/rss+xml; charset=utf-8")
    assert r.status == "ok"
    assert r.items[0].title == "习近平为何如此强调崇尚英雄？"
    assert any("declared as UTF-8" in w for w in r.warnings), r.warnings


def test_undeclared_cp1252_falls_back_with_a_warning(server: FeedServer) -> None:
    r = _fetch(server, "feeds/uol_noticias_pt_undeclared_cp1252.rss", content_type="text/xml")
    assert r.status == "ok" and len(r.items) == 15
    assert "simulações" in r.items[0].title
    assert any("CP1252" in w for w in r.warnings)
    # Portuguese weekday/month names: parsed rather than dropped.
    assert all(i.published is not None for i in r.items)


def test_naive_chinese_times_are_beijing_time(server: FeedServer) -> None:
    r = _fetch(server, "feeds/qq_news_china_gb2312.xml")
    # "2018-09-18 14:38:10" with no zone on a Chinese feed is 06:38:10 UTC.
    assert r.items[0].published == datetime(2018, 9, 18, 6, 38, 10, tzinfo=UTC)
    assert r.items[0].lang == "zh"


def test_missing_dates_are_none_not_epoch(server: FeedServer) -> None:
    r = _fetch(server, "feeds/cnblog_org_gb2312_rss092_nodates.xml")
    assert r.status == "ok" and len(r.items) == 16  # anchors keep archive entries apart
    assert all(i.published is None for i in r.items)


def test_malformed_xml_still_yields_items_with_a_warning(server: FeedServer) -> None:
    r = _fetch(server, "feeds/linuxbox_hu_utf8_external_dtd.xml")
    assert r.status == "ok" and len(r.items) == 15
    assert any("DOCTYPE" in w for w in r.warnings)


def test_relative_links_resolve_against_the_feed_url(server: FeedServer) -> None:
    r = _fetch(server, "feeds/gulp_relative_links.atom")
    assert all(i.url and i.url.startswith(server.base) for i in r.items)


def test_content_location_header_sets_the_base(server: FeedServer) -> None:
    r = _fetch(server, "feedparser-corpus/wellformed/base/http_item_link_base_content_location.xml")
    assert r.items[0].url == "http://example.com/relative/uri"


def test_duplicate_guid_kept_once(server: FeedServer) -> None:
    r = _fetch(server, "feeds/taverncast_dup_guid_est_leading_newline.rss")
    assert r.status == "ok" and len(r.items) == 130
    assert len({i.id for i in r.items}) == 130
    assert any("repeated" in w for w in r.warnings)


def test_reuters_feedburner_links_use_the_original(server: FeedServer) -> None:
    r = _fetch(server, "feeds/reuters_worldnews_2018.rss")
    assert all(i.url and "feeds.reuters.com" not in i.url for i in r.items)
    assert all(i.canonical_url and "feedType" not in i.canonical_url for i in r.items)


def test_long_content_is_bounded(server: FeedServer) -> None:
    r = _fetch(server, "feeds/sakusaka-silk_shiftjis_long_content.rdf")
    assert max(len(i.summary) for i in r.items) <= 2000


def test_exponential_entities_are_not_expanded(server: FeedServer) -> None:
    r = _fetch(server, "feedparser-corpus/inline/exponential_entities_utf16be.xml")
    _check_sane(r)
    assert all(len(i.title) < 200 for i in r.items)


def test_billion_laughs_utf8_is_refused_quickly(server: FeedServer) -> None:
    lol = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    body = ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(lol) + "\n]>\n"
            '<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
            "<link>http://example.org/x</link></item></channel></rss>")
    url = server.set("/bomb", body, content_type="application/rss+xml")
    [r] = fetch_all([SourceConfig(name="bomb", url=url)], {}, DEFAULTS)
    _check_sane(r)
    assert any("entity" in w for w in r.warnings) or r.status == "error"
    assert all(len(i.title) < 200 for i in r.items)


def test_federal_register_results_without_wrapper(server: FeedServer) -> None:
    r = _fetch(server, "pages/federalregister_api_results_fulltext_0938-AV34.json")
    assert r.status == "ok" and len(r.items) == 10
    assert all(i.published is not None for i in r.items)
    assert any("item list" in w for w in r.warnings)


def test_reginfo_fragment_as_html_listing(server: FeedServer) -> None:
    r = _fetch(server, "pages/reginfo_gov_rin_2060-AV81_timetable_fragment.html")
    _check_sane(r)
    # javascript: links are never kept as URLs.
    assert all(i.url is None or not i.url.startswith("javascript") for i in r.items)
