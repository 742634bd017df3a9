"""Does a watch rule hold for an item and its verdict?  Pure: no IO.

A rule matches when every condition it has holds: `sources`, `lang`,
`min_score`, `labels`, no `exclude` term, any of `keywords`, the `query`.
Keywords and queries are the analyst's override: they alert whatever the
classifier says.  A rule whose only conditions are about the classifier's
output (`labels` without keywords or query) routes what the classifier found
relevant; its `min_score`, when given, replaces the relevance threshold, so
"jurisdiction JP, min_score 0.3" also catches near misses.
"""

from __future__ import annotations

from monitor.config import LabelFilter, WatchRule
from monitor.models import Classification, Item
from monitor.rules import query as q
from monitor.rules import terms


def labels_meet(labels: LabelFilter, verdict: Classification) -> bool:
    """Each label list the rule gives must share a label with the item's."""
    for kind in ("topic", "item", "jurisdiction"):
        wanted = getattr(labels, kind)
        if wanted is not None and not set(wanted) & set(getattr(verdict, kind)):
            return False
    return True


def _lang_ok(wanted: list[str], lang: str | None) -> bool:
    # "zh-CN" counts as "zh": rules name the language, feeds often add a region.  An
    # unknown language (Latin script, nothing declared) meets no filter: guessing
    # "en" would put Dutch and German items into English-only rules.
    primary = (lang or "").lower().replace("_", "-").split("-")[0]
    return primary in {w.lower().split("-")[0] for w in wanted}


def rule_matches(rule: WatchRule, item: Item, verdict: Classification) -> bool:
    """Whether `rule` sends `item` (with `verdict`) to the rule's channel."""
    if rule.sources is not None and item.source not in rule.sources:
        return False
    if rule.lang is not None and not _lang_ok(rule.lang, item.lang):
        return False
    if rule.min_score is not None and verdict.score < rule.min_score:
        return False
    if rule.labels is not None:
        if not labels_meet(rule.labels, verdict):
            return False
        label_only = not rule.keywords and not rule.query
        if label_only and rule.min_score is None and not verdict.relevant:
            return False
    if not (rule.exclude or rule.keywords or rule.query):
        return True
    haystack = terms.normalise(f"{item.title}\n{item.summary}")
    if any(terms.found(t, haystack) for t in rule.exclude):
        return False
    if rule.keywords and not any(terms.found(k, haystack) for k in rule.keywords):
        return False
    return not rule.query or q.evaluate(q.parse(rule.query),
                                        lambda term: terms.found(term, haystack))
