"""Raw entry fields -> `Item`, the same way for every source kind."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from monitor.models import Item
from monitor.sources.identity import absolute_http_url, canonical_url, item_id, title_key
from monitor.sources.text import clean_title, normalize_lang
from monitor.text import SUMMARY_MAX, detect_script_lang, html_to_text, truncate

_CJK_LANGS = ("zh", "ja", "ko")


@dataclass
class RawEntry:
    """What a parser found, before normalisation; all fields optional but a title or link."""

    title: str | None = None
    title_is_html: bool = False
    link: str | None = None
    guid: str | None = None
    summary_html: str | None = None
    published: datetime | None = None
    lang: str | None = None


def build_item(source: str, raw: RawEntry, *, base_url: str | None,
               source_lang: str | None, doc_lang: str | None) -> Item | None:
    """Normalise one entry; None when it has neither a title nor a usable link."""
    url = absolute_http_url(raw.link, base_url)
    guid = (raw.guid or "").strip()[:1000] or None
    if guid is None and raw.link and url is None:
        guid = None  # a javascript:/mailto: link is not an identity either
    title = clean_title(raw.title, raw.title_is_html)
    summary = truncate(html_to_text(raw.summary_html), SUMMARY_MAX)
    if not title:
        # Untitled entries (some RSS 0.9x feeds) still carry text worth reading.
        title = truncate(summary, 120) if summary else ""
    if not title and url is None:
        return None
    canon = canonical_url(url)
    tkey = title_key(title)
    lang = choose_lang(source_lang, raw.lang or doc_lang, title + " " + summary[:200])
    return Item(
        id=item_id(source, guid, canon, tkey),
        source=source,
        title=title or (url or ""),
        summary=summary,
        url=url,
        canonical_url=canon,
        guid=guid,
        published=raw.published,
        lang=lang,
        title_key=tkey,
    )


def choose_lang(configured: str | None, declared: str | None, text: str) -> str | None:
    """Operator's word first; then the feed's, unless the script contradicts it.

    Feeds often carry a CMS default ("en") over Chinese or Japanese text, and
    the classifier tokenises by language, so the script wins over a declaration.
    """
    if lang := normalize_lang(configured):
        return lang
    declared = normalize_lang(declared)
    script = detect_script_lang(text)
    if script in _CJK_LANGS and declared != script and not (script == "zh" and declared == "ja"):
        return script
    return declared or script


def _split_fragments(items: list[Item]) -> list[Item]:
    """Entries of an archive page share a URL and differ by #anchor: keep them apart.

    Dropping fragments is right across outlets, wrong inside one feed where the
    fragment is the only thing that tells two different posts apart.
    """
    groups: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        if it.guid is None and it.canonical_url and it.url and "#" in it.url:
            groups.setdefault(it.canonical_url, []).append(i)
    out = list(items)
    for idxs in groups.values():
        if len({items[i].url for i in idxs}) < 2:
            continue
        for i in idxs:
            it = items[i]
            canon = f"{it.canonical_url}#{urlsplit(it.url or '').fragment}"
            out[i] = replace(it, canonical_url=canon,
                             id=item_id(it.source, None, canon, it.title_key))
    return out


def dedup(items: list[Item], warnings: list[str]) -> list[Item]:
    """Keep the first of entries sharing an id (duplicate GUIDs happen in real feeds)."""
    items = _split_fragments(items)
    seen: set[str] = set()
    out: list[Item] = []
    dups = 0
    for it in items:
        if it.id in seen:
            dups += 1
            continue
        seen.add(it.id)
        out.append(it)
    if dups:
        warnings.append(f"{dups} entr{'y' if dups == 1 else 'ies'} repeated an earlier "
                        "entry's GUID/URL: kept the first")
    return out
