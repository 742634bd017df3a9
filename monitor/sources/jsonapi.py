"""JSON APIs (the Federal Register's documents.json and friends) -> Items.

Fields are addressed with dotted paths from `JsonOptions`: "results",
"agency.name", "links.0.href".  Missing fields are None, never KeyError.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from monitor.config import SourceConfig
from monitor.errors import ParseError
from monitor.models import Item
from monitor.sources.dates import parse_date
from monitor.sources.encoding import decode
from monitor.sources.entries import RawEntry, build_item, dedup
from monitor.sources.http import Response

MAX_ITEMS = 1000


def dig(obj: Any, path: str | None) -> Any:
    """Follow a dotted path through dicts and lists; None when any step is missing."""
    if path is None:
        return None
    if path in ("", "."):
        return obj
    for part in path.split("."):
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.lstrip("-").isdigit():
            i = int(part)
            obj = obj[i] if -len(obj) <= i < len(obj) else None
        else:
            return None
        if obj is None:
            return None
    return obj


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def parse_json(src: SourceConfig, resp: Response, now: datetime | None = None
               ) -> tuple[list[Item], list[str]]:
    opts = src.json_map
    if opts is None:
        raise ParseError("kind: json needs a `json:` block")
    now = now or datetime.now(UTC)
    if not resp.body.strip():
        raise ParseError(f"empty body (HTTP {resp.status})")
    decoded = decode(resp.body, resp.content_type or "application/json; charset=utf-8")
    warnings = list(decoded.warnings)
    text = decoded.text.lstrip("\ufeff")
    if text.lstrip()[:1] == "<":
        kind = "an HTML page" if "<html" in text[:2000].lower() else "XML/HTML"
        raise ParseError(f"not JSON: got {kind} ({resp.content_type or 'no Content-Type'})")
    try:
        doc = json.loads(text)
    except RecursionError:
        raise ParseError("not usable JSON: nested too deeply") from None
    except ValueError as e:
        raise ParseError(f"not JSON: {e}") from None
    rows = dig(doc, opts.items)
    if rows is None and isinstance(doc, list):
        rows = doc  # some recorders keep only the array; accept it
        warnings.append(f"no {opts.items!r} key: the document itself is the item list")
    if not isinstance(rows, list):
        raise ParseError(f"JSON path {opts.items!r} is not a list "
                         f"(got {type(rows).__name__ if rows is not None else 'nothing'})")
    if len(rows) > MAX_ITEMS:
        warnings.append(f"{len(rows)} items: kept the first {MAX_ITEMS}")
        rows = rows[:MAX_ITEMS]
    items: list[Item] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        raw = RawEntry(
            title=_scalar(dig(row, opts.title)),
            link=_scalar(dig(row, opts.link)),
            guid=_scalar(dig(row, opts.id)) if opts.id else None,
            summary_html=_scalar(dig(row, opts.summary)) if opts.summary else None,
            published=parse_date(_scalar(dig(row, opts.date)), lang=src.lang, now=now)
            if opts.date else None,
        )
        item = build_item(src.name, raw, base_url=resp.url, source_lang=src.lang, doc_lang=None)
        if item is not None:
            items.append(item)
    if rows and not items:
        raise ParseError(f"{len(rows)} JSON items but none had a title ({opts.title!r}) "
                         f"or a link ({opts.link!r})")
    return dedup(items, warnings), warnings
