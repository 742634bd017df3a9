"""Text helpers every layer may import: cutting, HTML to text, script ranges, a language guess.

One home for each: sources, the classifier, watch rules and Slack formatting all
cut text, strip markup and recognise CJK the same way.  Depends on nothing in
the package, so any layer can use it without pulling in another.
"""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser as HTMLParser

# A stored item's summary (what the classifier and search see).  Slack shows less
# of it: see alert.format.SUMMARY_SHOWN.
SUMMARY_MAX = 2000

# Unicode ranges, as regex class bodies.  Kana includes the phonetic extensions and
# half-width katakana; Han the extension A, unified and compatibility blocks;
# Hangul the syllables and the conjoining jamo.
KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HANGUL = "\uac00-\ud7af\u1100-\u11ff"
CJK = KANA + HAN + HANGUL
CYRILLIC = "\u0400-\u04ff"

_KANA = re.compile(f"[{KANA}]")
_HAN = re.compile(f"[{HAN}]")
_HANGUL = re.compile(f"[{HANGUL}]")
_CYRILLIC = re.compile(f"[{CYRILLIC}]")

_WS = re.compile(r"\s+")
# Control characters (C0 but tab/newline/CR, DEL, C1), invisible format characters
# (zero-width space, word joiner, BOM) and bidi overrides/isolates, which can make a
# headline display as something else.  ZWJ/ZWNJ stay: emoji and Persian need them.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u202a-\u202e"
    "\u2066-\u2069\ufff9-\ufffb]")
# Real markup only: a tag name followed by space, "/" or ">", a comment or a CDATA/doctype.
# Text such as "<!channel>", "<@U123>" or "<https://x|y>" is not markup and must survive
# as text so the alert layer can escape it visibly.
TAGLIKE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?=[\s/>])|<!--|<!\[CDATA\[|<!DOCTYPE", re.I)
_STRIP_TAGS = ["script", "style", "noscript", "template", "iframe", "object", "svg"]
# A cut moves back to a word boundary only when one lies in the last fifth: a
# longer step back would throw away too much of a short field.
_WORD_CUT = 0.8


def strip_invisible(text: str) -> str:
    """Drop control and invisible characters; tab and newline stay for the caller to judge."""
    return _INVISIBLE.sub("", text)


def collapse(text: str) -> str:
    return _WS.sub(" ", strip_invisible(text)).strip()


def truncate(text: str, limit: int = SUMMARY_MAX) -> str:
    """At most `limit` characters: cut at a word boundary when one is near, marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * _WORD_CUT:
        cut = cut[:space]
    return cut.rstrip() + "…"


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment, entities decoded, whitespace collapsed."""
    if not markup:
        return ""
    if not TAGLIKE.search(markup):
        # Plain text (perhaps with entities): parsing would eat "a < b" comparisons.
        return collapse(html.unescape(markup)) if "&" in markup else collapse(markup)
    tree = HTMLParser(markup)
    tree.strip_tags(_STRIP_TAGS)
    root = tree.body or tree.root
    text = root.text(separator=" ") if root is not None else ""
    return collapse(text)


def has_kana(text: str) -> bool:
    return _KANA.search(text) is not None


def count_han(text: str) -> int:
    return len(_HAN.findall(text))


def detect_script_lang(text: str) -> str | None:
    """Cheap guess from the script: kana means Japanese even among kanji."""
    if not text:
        return None
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _HAN.search(text):
        return "zh"
    if _CYRILLIC.search(text):
        return "ru"
    return None
