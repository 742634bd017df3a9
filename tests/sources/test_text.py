"""sources/text.py: headlines as one plain line and language tags as primary subtags."""

from __future__ import annotations

import pytest

from monitor.sources.text import TITLE_MAX, clean_title, normalize_lang


@pytest.mark.parametrize(("raw", "is_html", "want"), [
    ("Plain title", False, "Plain title"),
    ("<b>Bold</b> news", False, "Bold news"),
    ("A &amp; B", False, "A & B"),  # escaped once more than the parser decoded
    ("A &amp;amp; B", False, "A &amp; B"),  # but only one level: no unescape loop
    ("  spaced\n\tout ", False, "spaced out"),
    ("a < b and <!channel>", False, "a < b and <!channel>"),  # not markup: kept for escaping
    ("x\u200b\u202ey", False, "xy"),  # invisible and bidi characters dropped
    ("&lt;i&gt;t&lt;/i&gt;", True, "<i>t</i>"),
    (None, False, ""),
])
def test_clean_title(raw: str | None, is_html: bool, want: str) -> None:
    assert clean_title(raw, is_html) == want


def test_title_is_bounded() -> None:
    out = clean_title("word " * 500)
    assert len(out) <= TITLE_MAX and out.endswith("…")


@pytest.mark.parametrize(("value", "want"), [
    ("zh-CN", "zh"), ("ZH_cn", "zh"), ("en-us", "en"), (" ja ", "ja"), ("fil", "fil"),
    ("", None), (None, None), ("english", None), ("12", None)])
def test_normalize_lang(value: str | None, want: str | None) -> None:
    assert normalize_lang(value) == want
