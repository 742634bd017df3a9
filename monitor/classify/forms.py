"""The shapes a feed entry arrives in, and how to cut a full item down to each.

Real feeds carry a headline alone, a headline rebuilt from a URL slug, an empty
title with a one-sentence lead, or a headline with a one-sentence description;
the written training data is mostly headline plus a paragraph.  `form_of` names
the bucket an item falls in (the classifier gets it as a feature, and calibration
and evaluation are reported per bucket); `variants` cuts a full item into the
shorter shapes, for training copies and for the simulated-form evaluation.
"""

from __future__ import annotations

import re

# Buckets: a headline alone; headline + text of at most SHORT_MAX characters; longer.
FORMS = ("title_only", "short", "long")
SHORT_MAX = 200

# A sentence ends at . ! ? before a space and a capital, or at a CJK full stop; an
# abbreviation ("U.S.", "Mr.", "Corp.") before the space does not end one.
_END = re.compile(r"[.!?](?=\s+[A-Z\"'(])|[。！？]")
_ABBREV = re.compile(r"(?:^|\s)(?:(?:[A-Z]\.)+|Mr|Ms|Dr|No|Co|Corp|Inc|Ltd|St|Gov|Sen|Rep|Gen|"
                     r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?$")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def form_of(title: str, text: str) -> str:
    """The form bucket of an item (title and text already normalised or raw alike)."""
    t, b = title.strip(), text.strip()
    if not t or not b:  # one field only: a bare headline, or a lead with no title
        return "title_only" if len(t or b) <= SHORT_MAX else "long"
    return "short" if len(t) + len(b) <= SHORT_MAX else "long"


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for m in _END.finditer(text):
        head = text[:m.end()]
        if m.group() == "." and _ABBREV.search(head):
            continue
        return head
    return text


def slug_title(title: str) -> str:
    """A headline as rebuilt from a URL slug: lower case, words only."""
    return _SLUG_DROP.sub(" ", title.lower()).strip()


def variants(title: str, text: str, lang: str | None) -> dict[str, tuple[str, str]]:
    """Shorter shapes of one item, keyed by name; only shapes that differ from it.

    - `title`: the headline alone (listing pages, many RSS feeds)
    - `lead`: no headline, the first sentence of the text
    - `title+lead`: the headline with a one-sentence description
    - `slug`: the headline rebuilt from a URL slug (Latin script only)
    """
    out: dict[str, tuple[str, str]] = {}
    title, text = title.strip(), text.strip()
    lead = first_sentence(text) if text else ""
    if title and text:
        out["title"] = (title, "")
    if lead:
        out["lead"] = ("", lead)
        if title and lead != text:
            out["title+lead"] = (title, lead)
    if title and (lang == "en" or title.isascii()):
        slug = slug_title(title)
        if slug and slug != title:
            out["slug"] = (slug, "")
    return out
