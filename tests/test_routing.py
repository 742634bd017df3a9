"""Routing per interfaces.md: classifier → alerts.channel, keywords → rule channel, once each."""

from __future__ import annotations

from monitor.config import Config
from monitor.models import Classification, Item
from monitor.routing import route

CFG = Config.model_validate({
    "alerts": {"channel": "#export-controls"},
    "watch": [
        {"name": "rare-earths", "keywords": ["rare earth", "稀土"], "channel": "#rare-earths"},
        {"name": "gallium", "keywords": ["gallium"], "channel": "#rare-earths"},
        {"name": "entity", "keywords": ["Entity List"]},
        {"name": "us", "keywords": ["U.S."], "channel": "#us"},
    ],
})
YES = Classification(relevant=True, score=0.9)
NO = Classification(relevant=False, score=0.1)


def item(title: str, summary: str = "") -> Item:
    return Item(id="x", source="s", title=title, summary=summary)


def test_relevant_goes_to_main_channel() -> None:
    assert [(r.channel, r.reason) for r in route(item("anything"), YES, CFG)] == [
        ("#export-controls", "classifier")]


def test_keyword_alerts_even_when_classifier_says_no() -> None:
    routes = route(item("Rare Earth prices rise"), NO, CFG)
    assert [(r.channel, r.reason) for r in routes] == [("#rare-earths", "watch:rare-earths")]


def test_chinese_keywords_match_as_substring() -> None:
    routes = route(item("稀土价格上涨"), NO, CFG)
    assert [r.channel for r in routes] == ["#rare-earths"]


def test_latin_keywords_match_whole_words_only() -> None:
    assert route(item("Rare earthenware exhibition"), NO, CFG) == []
    assert route(item("gallium-nitride chargers"), NO, CFG)[0].reason == "watch:gallium"
    assert route(item("Thus, U.S. officials"), NO, CFG)[0].channel == "#us"
    assert route(item("bonus story"), NO, CFG) == []


def test_one_alert_per_channel_however_many_reasons() -> None:
    routes = route(item("Rare earth and gallium curbs", "Entity List additions"), YES, CFG)
    assert [(r.channel, r.reason) for r in routes] == [
        ("#export-controls", "classifier"), ("#rare-earths", "watch:rare-earths")]
