"""Link near-identical headlines and shared announcements into one story.

Pure: the caller supplies recent items.  A story id lets delivery thread the
second and later reports of one event under the first alert.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

SIMILARITY = 0.6  # Jaccard on character bigrams of normalised titles
# Facts specific enough that two items sharing one report the same event.
_LINKING_FACTS = ("announcements",)


def _bigrams(key: str) -> set[str]:
    return {key[i : i + 2] for i in range(len(key) - 1)} if len(key) > 1 else {key}


def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y)


def _facts(raw: str | Mapping[str, Sequence[str]]) -> set[tuple[str, str]]:
    data = json.loads(raw) if isinstance(raw, str) else raw
    return {(k, str(v).casefold()) for k in _LINKING_FACTS for v in data.get(k, [])}


def assign_story(
    title_key: str,
    facts: Mapping[str, Sequence[str]],
    recent: Iterable[tuple[str, str, str, str]],
) -> str | None:
    """Story id of the best-matching recent item (id, story_id, title_key, facts), or None."""
    mine = _facts(facts)
    best: tuple[float, str] | None = None
    for _item_id, story_id, other_key, other_facts in recent:
        score = similarity(title_key, other_key)
        if mine and mine & _facts(other_facts):
            score = max(score, 1.0)
        if score >= SIMILARITY and (best is None or score > best[0]):
            best = (score, story_id)
    return best[1] if best else None
