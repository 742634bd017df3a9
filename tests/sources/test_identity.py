"""Identity is pure and stable: tracking noise and GUID churn must not make new items."""

from __future__ import annotations

from monitor.sources.identity import absolute_http_url, canonical_url, item_id, title_key


def test_canonical_url_drops_noise() -> None:
    a = canonical_url("HTTPS://WWW.Example.COM:443/news/a/?utm_source=rss&b=2&fbclid=x&a=1#top")
    assert a == "https://example.com/news/a?a=1&b=2"
    assert canonical_url("http://example.com:80") == "http://example.com/"
    assert canonical_url("https://example.com/a?gclid=1&utm_medium=x") == "https://example.com/a"
    # Parameters that select content survive.
    assert canonical_url("http://x.gov.cn/article.php?id=7&cid=3") == \
        "http://x.gov.cn/article.php?cid=3&id=7"


def test_canonical_url_rejects_non_http() -> None:
    assert canonical_url("javascript:leavePage('89 FR 15101')") is None
    assert canonical_url("mailto:a@b.c") is None
    assert canonical_url("") is None
    assert absolute_http_url("javascript:void(0)", "http://x/") is None
    assert absolute_http_url("/a/b", "http://x.org/list/") == "http://x.org/a/b"
    assert absolute_http_url("http://[bad", None) is None


def test_guid_change_with_same_link_keeps_canonical_url() -> None:
    link_then = "https://www.reuters.com/world/china/x-2025-10-09/?utm_source=rss"
    link_now = "https://reuters.com/world/china/x-2025-10-09"
    assert canonical_url(link_then) == canonical_url(link_now)
    # The ids differ (the GUIDs do), but the store matches them on canonical_url.
    assert item_id("s", "guid-1", canonical_url(link_then), "") != item_id(
        "s", "guid-2", canonical_url(link_now), "")


def test_syndicated_url_has_one_id_across_sources() -> None:
    cu = canonical_url("https://example.com/story?utm_campaign=feed")
    assert item_id("outlet-a", None, cu, "k") == item_id("outlet-b", None, cu, "k")
    url_guid = "https://example.com/story"
    assert item_id("outlet-a", url_guid, None, "") == item_id("outlet-b", None, cu, "")


def test_opaque_guids_are_namespaced_by_source() -> None:
    assert item_id("a", "1", None, "") != item_id("b", "1", None, "")
    assert item_id("a", "1", None, "") == item_id("a", "1", "http://other/", "x")
    assert item_id("a", None, None, "samehead") != item_id("b", None, None, "samehead")


def test_title_key() -> None:
    k = title_key("U.S. adds 12 Chinese firms to Entity List - Reuters")
    assert k == title_key("U.S. Adds 12 Chinese Firms to Entity List | BBC News")
    assert k == "usadds12chinesefirmstoentitylist"
    assert title_key("商务部公告2025年第61号 关于对稀土相关物项实施出口管制的决定_新闻_腾讯网") \
        == title_key("商务部公告2025年第61号　关于对稀土相关物项实施出口管制的决定")
    assert title_key("Ｅｘｐｏｒｔ　Ｃｏｎｔｒｏｌｓ") == "exportcontrols"  # NFKC width folding
    assert title_key("Export controls - what changed") == "exportcontrolswhatchanged"
    assert title_key(None) == ""
