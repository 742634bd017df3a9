"""monitor.text, the one home of the text helpers; the rules chosen where old copies differed."""

from __future__ import annotations

import pytest

from monitor.alert.format import fit
from monitor.classify.text import detect_lang
from monitor.text import (
    CJK,
    SUMMARY_MAX,
    count_han,
    detect_script_lang,
    has_kana,
    html_to_text,
    truncate,
)


def test_truncate_keeps_short_text_and_marks_a_cut() -> None:
    assert truncate("short", 10) == "short"
    out = truncate("x" * 50, 10)
    assert out == "x" * 9 + "…" and len(out) == 10


def test_truncate_backs_up_to_a_space_only_in_the_last_fifth() -> None:
    # Chosen rule (was 30% in alert.format, 20% in sources.text, none in `monitor
    # sources`): a space after 80% of the limit is used, an earlier one is not.
    near = "a" * 17 + " " + "b" * 20  # space at 17 of limit 20 (> 16)
    assert truncate(near, 20) == "a" * 17 + "…"
    far = "a" * 15 + " " + "b" * 20  # space at 15 of limit 20 (< 16): hard cut
    assert truncate(far, 20) == "a" * 15 + " bbb…"


def test_truncate_default_is_the_stored_summary_bound() -> None:
    assert len(truncate("word " * 1000)) <= SUMMARY_MAX == 2000


def test_slack_fit_folds_whitespace_before_the_shared_cut() -> None:
    assert fit("  a \t b  ", 20) == "a b"
    assert fit("line one\nline two ", 50) == "line one\nline two"
    assert fit("a" * 30, 10) == truncate("a" * 30, 10)


def test_html_to_text_drops_markup_and_scripts_but_keeps_comparisons() -> None:
    assert html_to_text("<p>A &amp; B<script>x()</script></p>") == "A & B"
    assert html_to_text("a < b and <!channel>") == "a < b and <!channel>"
    assert html_to_text(None) == ""


@pytest.mark.parametrize(("text", "lang"), [
    ("輸出管理の強化", "ja"), ("ｶﾀｶﾅ", "ja"), ("수출 통제", "ko"), ("出口管制", "zh"),
    ("экспортный контроль", "ru"), ("export controls", None), ("", None)])
def test_script_guess(text: str, lang: str | None) -> None:
    assert detect_script_lang(text) == lang


def test_classifier_narrows_the_shared_guess_to_three_languages() -> None:
    assert detect_lang("輸出管理の強化") == "ja"
    assert detect_lang("出口管制 export") == "zh"
    assert detect_lang("A long English sentence that mentions 中国 once") == "en"
    assert detect_lang("экспортный контроль") == "en"
    assert detect_lang("수출 통제") == "en"


def test_one_set_of_ranges() -> None:
    assert has_kana("ｱ") and has_kana("ㇰ") and not has_kana("漢")
    assert count_han("漢字と豈") == 3  # U+F900 block counts as Han
    for ch in "あア漢한":
        assert any(lo <= ch <= hi for lo, hi in zip(CJK[::3], CJK[2::3], strict=True))
