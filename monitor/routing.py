"""Which channels an item goes to, and why (interfaces.md, Routing).

Pure: no IO.  The classifier's verdict sends an item to `alerts.channel`; a
watch rule (monitor.rules: keywords, query, labels, score, sources, language)
sends it to the rule's channel; each channel gets one alert per item however
many reasons apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.config import Config
from monitor.models import Classification, Item
from monitor.rules.match import rule_matches


@dataclass(frozen=True)
class Route:
    channel: str
    reason: str  # "classifier" or "watch:<rule name>"


def route(item: Item, verdict: Classification, config: Config) -> list[Route]:
    """Channels for this item, first reason wins per channel, in a stable order."""
    routes: dict[str, Route] = {}
    if verdict.relevant:
        routes[config.alerts.channel] = Route(config.alerts.channel, "classifier")
    for rule in config.watch:
        channel = rule.channel or config.alerts.channel
        if channel in routes:
            continue
        if rule_matches(rule, item, verdict):
            routes[channel] = Route(channel, f"watch:{rule.name}")
    return list(routes.values())
