"""Which channels an item goes to, and why (interfaces.md, Routing).

Pure: no IO.  The classifier's verdict sends an item to `alerts.channel`; a
watch rule's keyword sends it to the rule's channel whatever the classifier
says; each channel gets one alert per item however many reasons apply.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from monitor.config import Config, WatchRule
from monitor.models import Classification, Item

# Latin-script keywords match as whole words; CJK has no spaces, so substring.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class Route:
    channel: str
    reason: str  # "classifier" or "watch:<rule name>"


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=1024)
def _pattern(keyword: str) -> re.Pattern[str]:
    kw = _norm(keyword.strip())
    if _CJK.search(kw):
        return re.compile(re.escape(kw))
    # \b fails next to punctuation inside a keyword ("u.s."), so use explicit look-arounds.
    words = r"\s+".join(re.escape(w) for w in kw.split())
    return re.compile(rf"(?<![\w]){words}(?![\w])")


def matches(rule: WatchRule, title: str, text: str) -> str | None:
    """The first keyword of `rule` found in the title or text, or None."""
    haystack = _norm(f"{title}\n{text}")
    for kw in rule.keywords:
        if _pattern(kw).search(haystack):
            return kw
    return None


def route(item: Item, verdict: Classification, config: Config) -> list[Route]:
    """Channels for this item, first reason wins per channel, in a stable order."""
    routes: dict[str, Route] = {}
    if verdict.relevant:
        routes[config.alerts.channel] = Route(config.alerts.channel, "classifier")
    for rule in config.watch:
        channel = rule.channel or config.alerts.channel
        if channel in routes:
            continue
        if matches(rule, item.title, item.summary):
            routes[channel] = Route(channel, f"watch:{rule.name}")
    return list(routes.values())
