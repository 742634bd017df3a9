"""Replay stored items through two configs and say what would alert differently.

Pure: the caller reads the items; nothing is posted or written.  Each stored
item keeps the verdict it was given (score and labels); each config's own
threshold decides relevance, so a threshold change shows up.  The classifier
is not re-run: a changed `model:` is not replayed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.config import Config
from monitor.models import Classification, Item
from monitor.routing import route
from monitor.store.db import parse_iso


def as_item(row: Mapping[str, Any]) -> Item:
    return Item(id=str(row["id"]), source=str(row["source"]), title=str(row["title"] or ""),
                summary=str(row.get("summary") or ""), url=row.get("url"),
                lang=row.get("lang"), published=parse_iso(row.get("published")))


def as_verdict(row: Mapping[str, Any], threshold: float) -> Classification:
    score = float(row.get("score") or 0.0)
    return Classification(relevant=score >= threshold, score=score,
                          topic=tuple(row.get("topic") or ()), item=tuple(row.get("item") or ()),
                          jurisdiction=tuple(row.get("jurisdiction") or ()))


@dataclass(frozen=True)
class Change:
    item_id: str
    channel: str
    reason: str
    title: str

    def as_json(self) -> dict[str, str]:
        return {"item_id": self.item_id, "channel": self.channel, "reason": self.reason,
                "title": self.title}


@dataclass
class Backtest:
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    items: int = 0
    per_channel: dict[str, tuple[int, int]] = field(default_factory=dict)  # now, new

    def as_json(self) -> dict[str, object]:
        return {"added": [c.as_json() for c in self.added],
                "removed": [c.as_json() for c in self.removed], "unchanged": self.unchanged}


def routes_of(rows: Iterable[Mapping[str, Any]], config: Config) -> dict[tuple[str, str], str]:
    """(item id, channel) -> reason, for every alert `config` would raise."""
    out: dict[tuple[str, str], str] = {}
    for row in rows:
        item = as_item(row)
        for r in route(item, as_verdict(row, config.alerts.threshold), config):
            out[(item.id, r.channel)] = r.reason
    return out


def backtest(rows: Sequence[Mapping[str, Any]], current: Config, new: Config) -> Backtest:
    """The alerts `new` adds and removes compared with `current`, items newest first."""
    now, then = routes_of(rows, current), routes_of(rows, new)
    titles = {str(r["id"]): str(r["title"] or "") for r in rows}
    result = Backtest(items=len(rows))
    for key in sorted(set(now) | set(then), key=lambda k: (k[1], k[0])):
        item_id, channel = key
        if key in now and key in then:
            result.unchanged += 1
        elif key in then:
            result.added.append(Change(item_id, channel, then[key], titles[item_id]))
        else:
            result.removed.append(Change(item_id, channel, now[key], titles[item_id]))
    for channel in sorted({c for _, c in now} | {c for _, c in then}):
        result.per_channel[channel] = (sum(1 for _, c in now if c == channel),
                                       sum(1 for _, c in then if c == channel))
    order = {str(r["id"]): i for i, r in enumerate(rows)}
    for changes in (result.added, result.removed):
        changes.sort(key=lambda c: (c.channel, order[c.item_id]))
    return result
