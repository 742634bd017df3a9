"""Feed text: titles as one plain line, language tags; the generic helpers live in monitor.text."""

from __future__ import annotations

import html
import re

from monitor.text import TAGLIKE, collapse, html_to_text, truncate

TITLE_MAX = 500

_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def clean_title(raw: str | None, is_html: bool = False) -> str:
    """A headline as one plain line: markup stripped, entities decoded (once)."""
    if not raw:
        return ""
    text = html_to_text(raw) if is_html or TAGLIKE.search(raw) else raw
    if _ENTITY.search(text):
        # Double-escaped titles ("&amp;amp;") are common; decode one more level.
        text = html.unescape(text)
    return truncate(collapse(text), TITLE_MAX)


def normalize_lang(value: str | None) -> str | None:
    """'zh-CN' / 'ZH_cn' / 'en-us' -> primary subtag; junk -> None."""
    if not value:
        return None
    tag = value.strip().replace("_", "-").split("-")[0].lower()
    return tag if re.fullmatch(r"[a-z]{2,3}", tag) else None
