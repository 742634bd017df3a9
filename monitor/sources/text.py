"""Plain text out of feed/page markup: titles, bounded summaries, a language guess."""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser as HTMLParser

SUMMARY_MAX = 2000
TITLE_MAX = 500

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
_TAGLIKE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?=[\s/>])|<!--|<!\[CDATA\[|<!DOCTYPE", re.I)
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_STRIP_TAGS = ["script", "style", "noscript", "template", "iframe", "object", "svg"]


def strip_invisible(text: str) -> str:
    """Drop control and invisible characters; tab and newline stay for the caller to judge."""
    return _INVISIBLE.sub("", text)


def collapse(text: str) -> str:
    return _WS.sub(" ", strip_invisible(text)).strip()


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment, entities decoded, whitespace collapsed."""
    if not markup:
        return ""
    if not _TAGLIKE.search(markup):
        # Plain text (perhaps with entities): parsing would eat "a < b" comparisons.
        return collapse(html.unescape(markup)) if "&" in markup else collapse(markup)
    tree = HTMLParser(markup)
    tree.strip_tags(_STRIP_TAGS)
    root = tree.body or tree.root
    text = root.text(separator=" ") if root is not None else ""
    return collapse(text)


def clean_title(raw: str | None, is_html: bool = False) -> str:
    """A headline as one plain line: markup stripped, entities decoded (once)."""
    if not raw:
        return ""
    text = html_to_text(raw) if is_html or _TAGLIKE.search(raw) else raw
    if _ENTITY.search(text):
        # Double-escaped titles ("&amp;amp;") are common; decode one more level.
        text = html.unescape(text)
    return truncate(collapse(text), TITLE_MAX)


def truncate(text: str, limit: int = SUMMARY_MAX) -> str:
    """Cut at a word boundary when there is one near the limit, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def normalize_lang(value: str | None) -> str | None:
    """'zh-CN' / 'ZH_cn' / 'en-us' -> primary subtag; junk -> None."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").split("-")[0].lower()
    return tag if re.fullmatch(r"[a-z]{2,3}", tag) else None


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
