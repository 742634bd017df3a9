"""Listing pages: selectors, CJK dates, relative links, follow-once over loopback HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.config import Defaults, HtmlOptions, SourceConfig
from monitor.models import Item
from monitor.sources import fetch_all, follow_new
from tests.fakes.feeds import FeedServer

LISTING = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="gb2312">
<title>商务部公告</title></head><body><div class="listCon"><ul>
<li><a href="/article/zwgk/gkzcfb/202510/20251003000001.shtml"
  title="商务部公告2025年第61号">商务部公告2025年第61号 关于对稀土相关物项实施出口管制的决定</a>
  <span>2025年10月9日</span></li>
<li><a href="./202510/20251003000002.shtml">商务部 海关总署公告2025年第58号</a>
  <span>2025-10-09</span></li>
<li><a href="javascript:void(0)">无链接的公告</a><span>日期不详</span></li>
</ul></div></body></html>"""

ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>公告</title></head><body>
<nav>首页 | 新闻</nav><article><h1>商务部公告2025年第61号</h1>
<p>为维护国家安全和利益，根据《中华人民共和国出口管制法》等法律法规有关规定，经国务院批准，
决定对稀土相关物项实施出口管制。现将有关事项公告如下。</p>
<p>一、未经许可，任何组织和个人不得出口下列物项。相关物项包括钐、钆、铽、镝、镥、钪、钇等。</p>
</article><footer>版权所有</footer></body></html>"""

OPTS = HtmlOptions(item=".listCon li", title="a", link="a", date="span")


def listing_source(url: str, follow: bool = False) -> SourceConfig:
    opts = OPTS.model_copy(update={"follow": follow})
    return SourceConfig(name="mofcom-gkzcfb", url=url, kind="html", html=opts)


def test_listing_page_items(server: FeedServer) -> None:
    url = server.set("/article/zwgk/gkzcfb/", LISTING.encode("gb18030"),
                       content_type="text/html")
    [r] = fetch_all([listing_source(url)], {}, Defaults())
    assert r.status == "ok", r.error
    a, b, c = r.items
    assert a.title == "商务部公告2025年第61号 关于对稀土相关物项实施出口管制的决定"
    assert a.url == server.url("/article/zwgk/gkzcfb/202510/20251003000001.shtml")
    assert a.published == datetime(2025, 10, 8, 16, tzinfo=UTC)  # Beijing midnight
    assert a.lang == "zh"
    assert b.url == server.url("/article/zwgk/gkzcfb/202510/20251003000002.shtml")
    assert b.published == a.published
    assert c.url is None and c.published is None and c.id.startswith("t:")


def test_selector_matching_nothing_is_an_error(server: FeedServer) -> None:
    url = server.set("/redesigned", "<html><body><p>new layout</p></body></html>",
                       content_type="text/html")
    [r] = fetch_all([listing_source(url)], {}, Defaults())
    assert r.status == "error"
    assert r.error == ("selector '.listCon li' matched nothing on the page "
                       "(site redesigned, or not the listing page?)")


def test_follow_fetches_only_new_articles_once(server: FeedServer) -> None:
    url = server.set("/article/zwgk/gkzcfb/", LISTING.encode("gb18030"),
                       content_type="text/html")
    server.set("/article/zwgk/gkzcfb/202510/20251003000001.shtml", ARTICLE,
                 content_type="text/html; charset=utf-8")
    known: set[str] = {server.url("/article/zwgk/gkzcfb/202510/20251003000002.shtml")}

    def is_known(item: Item) -> bool:
        return item.url in known

    [r] = fetch_all([listing_source(url, follow=True)], {}, Defaults(),
                    enrich=follow_new(is_known))
    assert r.status == "ok"
    first, second, _ = r.items
    assert "出口管制法" in first.summary
    assert second.summary == ""  # known: not fetched
    assert len(server.hits("/article/zwgk/gkzcfb/202510/20251003000001.shtml")) == 1
    assert server.hits("/article/zwgk/gkzcfb/202510/20251003000002.shtml") == []


def test_follow_without_hook_warns(server: FeedServer) -> None:
    url = server.set("/l", LISTING.encode("gb18030"), content_type="text/html")
    [r] = fetch_all([listing_source(url, follow=True)], {}, Defaults())
    assert r.status == "ok" and any("follow: true" in w for w in r.warnings)


def test_date_format_option(server: FeedServer) -> None:
    page = ('<table><tr class="row"><td><a href="/pr/1">BIS adds entities</a></td>'
            "<td>10/09/2025</td></tr></table>")
    url = server.set("/pr", page, content_type="text/html; charset=utf-8")
    opts = HtmlOptions(item="tr.row", title="a", link="a", date="td:nth-of-type(2)",
                       date_format="%m/%d/%Y")
    [r] = fetch_all([SourceConfig(name="bis", url=url, kind="html", html=opts)], {}, Defaults())
    assert r.items[0].published == datetime(2025, 10, 9, tzinfo=UTC)
