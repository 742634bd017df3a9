"""sources/entries.py: one raw entry normalised into an Item; language choice; dedup."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.models import Item
from monitor.sources.entries import RawEntry, build_item, choose_lang, dedup
from monitor.text import SUMMARY_MAX

BASE = "https://feed.example/news/"


def _item(**raw: Any) -> Item | None:
    return build_item("s", RawEntry(**raw), base_url=BASE, source_lang=None, doc_lang=None)


def test_fields_are_normalised() -> None:
    when = datetime(2025, 12, 2, tzinfo=UTC)
    it = _item(title="<b>Rules</b> &amp;amp; more", link="a?utm_source=x", guid=" g1 ",
               summary_html="<p>Body <script>x()</script>text</p>", published=when)
    assert it is not None
    assert it.title == "Rules & more"
    assert it.url == "https://feed.example/news/a?utm_source=x"
    assert it.canonical_url is not None and "utm_source" not in it.canonical_url
    assert it.guid == "g1" and it.summary == "Body text" and it.published == when
    assert it.id and it.title_key


def test_untitled_entry_borrows_its_summary_and_linkless_untitled_is_dropped() -> None:
    it = _item(summary_html="<p>" + "word " * 50 + "</p>", link="/x")
    assert it is not None and it.title.endswith("…") and len(it.title) <= 120
    assert _item(summary_html="", link="javascript:alert(1)") is None


def test_summary_is_bounded() -> None:
    it = _item(title="t", summary_html="x " * 5000)
    assert it is not None and len(it.summary) <= SUMMARY_MAX


def test_language_operator_then_script_then_declaration() -> None:
    assert choose_lang("zh-CN", "en", "English text") == "zh"
    assert choose_lang(None, "en", "出口管制新规") == "zh"  # CMS default contradicted by script
    assert choose_lang(None, "ja", "輸出規制") == "ja"  # kanji-only Japanese stays Japanese
    assert choose_lang(None, "de", "Exportkontrolle") == "de"
    assert choose_lang(None, None, "plain words") is None


def test_dedup_keeps_anchored_posts_of_one_page_apart() -> None:
    a = _item(title="Post A", link="/archive#a")
    b = _item(title="Post B", link="/archive#b")
    again = _item(title="Post A", link="/archive#a")
    assert a and b and again
    warnings: list[str] = []
    kept = dedup([a, b, again], warnings)
    assert [i.title for i in kept] == ["Post A", "Post B"]
    assert kept[0].id != kept[1].id
    assert warnings == ["1 entry repeated an earlier entry's GUID/URL: kept the first"]
