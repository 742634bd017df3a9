"""Control characters, long links and invisible titles from hostile feeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from monitor.alert.format import TEXT_MAX, digest_message, item_message
from monitor.sources.feed import parse_feed
from monitor.sources.http import Response

ROW = {"source": "wire", "score": 0.9, "lang": "en", "published": None, "topic": ["x"],
       "item": [], "jurisdiction": [], "why": ["cue"], "facts": {}}


def _links_intact(text: str) -> bool:
    # every "<" opens a link that is closed on the same line, and no entity is cut
    return all(re.fullmatch(r"([^<>]|<[^<>\n]*>)*", line) for line in text.split("\n")) and \
        not re.search(r"&[a-z]*$", text)


def parsed(title: str, summary: str) -> tuple[str, str]:
    rss = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
           f"<item><title>{title}</title><description>{summary}</description>"
           "<link>https://n.example/a</link><guid>a</guid></item></channel></rss>")
    resp = Response("https://n.example/feed", 200, __import__("httpx").Headers(
        {"content-type": "application/rss+xml"}), rss.encode(), 0.0)
    items, _ = parse_feed("s", resp, datetime.now(UTC), None)
    return items[0].title, items[0].summary


def test_control_and_invisible_characters_are_stripped_from_parsed_text() -> None:
    # XML 1.0 forbids raw C0 controls, but feeds carry them as character references
    # and parsers in recovery mode pass them through.
    title, summary = parsed("Export&#1;\u200b controls\u202e on gallium&#127;",
                            "MOFCOM&#27;[31m said\u0085 more\ufeff.")
    assert title == "Export controls on gallium"
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202e\ufeff]", title + summary)
    assert "MOFCOM" in summary and "said" in summary


def test_invisible_title_falls_back_to_summary_words_then_link() -> None:
    for title in ("   ", "\x00\x07", "\u200b\u200b", None):
        msg = item_message(dict(ROW, title=title, url="https://n.example/a",
                                summary="China adds rare earth processing technology to "
                                        "its export control list from December"), "classifier")
        header = msg.blocks[0]["text"]["text"]
        assert header.startswith("China adds rare earth processing"), repr(title)
    msg = item_message(dict(ROW, title=" ", summary="", url="https://n.example/only-link"),
                       "classifier")
    assert msg.blocks[0]["text"]["text"] == "https://n.example/only-link"


def test_fallback_text_is_cut_between_elements_only() -> None:
    long_url = "https://n.example/" + "a" * 2500
    msg = item_message(dict(ROW, title="T & <b>" * 60, url=long_url, summary="s",
                            why=["w & <x> " * 300]), "classifier")
    assert len(msg.text) <= TEXT_MAX and _links_intact(msg.text)
    rows = [{"id": i, "reason": "watch:re", "title": f"Item {i} & co", "score": 0.2,
             "source": "wire", "url": f"https://n.example/{i}?" + "q" * 300}
            for i in range(40)]
    digest = digest_message("#re", "2026-01-01", rows)
    assert len(digest.text) <= TEXT_MAX and _links_intact(digest.text)
    assert digest.text.endswith("…")
