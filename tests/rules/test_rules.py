"""Watch rules v2 in routing and config: every condition must hold; old rules keep working."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import Config, load_config
from monitor.errors import ConfigError
from monitor.models import Classification, Item
from monitor.routing import route

JP = Classification(relevant=True, score=0.8, topic=("new_restriction",),
                    item=("semiconductors",), jurisdiction=("JP",))
JP_LOW = Classification(relevant=False, score=0.35, jurisdiction=("JP",))
NONE = Classification(relevant=False, score=0.05)


def cfg(*rules: dict[str, object]) -> Config:
    return Config.model_validate({
        "alerts": {"channel": "#main"},
        "sources": [{"name": "meti", "url": "https://meti.example/f"},
                    {"name": "wire", "url": "https://wire.example/f"}],
        "watch": list(rules)})


def item(title: str, source: str = "wire", lang: str | None = "en") -> Item:
    return Item(id="x", source=source, title=title, lang=lang)


def channels(it: Item, verdict: Classification, config: Config) -> list[tuple[str, str]]:
    return [(r.channel, r.reason) for r in route(it, verdict, config)]


def test_label_only_rule_routes_relevant_items_by_label() -> None:
    c = cfg({"name": "japan", "labels": {"jurisdiction": ["JP"]}, "channel": "#japan"})
    assert channels(item("anything"), JP, c) == [("#main", "classifier"), ("#japan", "watch:japan")]
    assert channels(item("anything"), JP_LOW, c) == []  # not relevant, no score floor given
    low = cfg({"name": "japan", "labels": {"jurisdiction": ["JP"]}, "min_score": 0.3,
               "channel": "#japan"})
    assert channels(item("anything"), JP_LOW, low) == [("#japan", "watch:japan")]


def test_each_label_list_must_meet_the_items_labels() -> None:
    c = cfg({"name": "r", "labels": {"jurisdiction": ["JP", "NL"], "item": ["rare_earths"]},
             "channel": "#r"})
    assert channels(item("x"), JP, c) == [("#main", "classifier")]


def test_query_and_keywords_both_must_hold_and_exclude_vetoes() -> None:
    c = cfg({"name": "chips", "keywords": ["Japan", "日本"], "query": "semiconductor OR 半導体",
             "exclude": ["tariff"], "channel": "#chips"})
    assert channels(item("Japan curbs semiconductors"), NONE, c) == [("#chips", "watch:chips")]
    assert channels(item("Japan curbs semiconductors, adds tariff"), NONE, c) == []
    assert channels(item("Korea curbs semiconductors"), NONE, c) == []
    assert channels(item("日本が半導体輸出を規制", lang="ja"), NONE, c) == [
        ("#chips", "watch:chips")]


def test_sources_lang_and_min_score_filters() -> None:
    c = cfg({"name": "m", "query": "control", "sources": "meti", "lang": ["en"],
             "min_score": 0.5, "channel": "#m"})
    assert channels(item("export control", source="meti", lang="en-GB"), JP, c) == [
        ("#main", "classifier"), ("#m", "watch:m")]
    assert channels(item("export control", source="wire"), JP, c) == [("#main", "classifier")]
    assert channels(item("export control", source="meti", lang="ja"), JP, c) == [
        ("#main", "classifier")]
    assert channels(item("export control", source="meti"), JP_LOW, c) == []


def test_old_keyword_rules_are_unchanged() -> None:
    c = cfg({"name": "re", "keywords": ["rare earth", "稀土"], "channel": "#re"})
    assert channels(item("Rare earth prices"), NONE, c) == [("#re", "watch:re")]
    assert channels(item("Rare earthenware"), NONE, c) == []


def _load(tmp_path: Path, rules: str) -> Config:
    path = tmp_path / "monitor.yaml"
    path.write_text("sources:\n  - name: meti\n    url: https://meti.example/f\nwatch:\n"
                    + rules, encoding="utf-8")
    return load_config(path)


def test_bad_query_names_file_line_and_position(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "  - name: a\n    keywords: [x]\n  - name: b\n"
                        "    query: '(export OR control'\n")
    (problem,) = e.value.problems
    assert problem.startswith(f"{tmp_path / 'monitor.yaml'}:8: watch[1].query: bad query at "
                              "position 19: missing ')'")


@pytest.mark.parametrize(("rule", "message"), [
    ("  - name: a\n    labels: {jurisdiction: [JPN]}\n", "unknown jurisdiction label(s) 'JPN'"),
    ("  - name: a\n    labels: {jurisdction: [JP]}\n", "did you mean 'jurisdiction'"),
    ("  - name: a\n    channel: '#x'\n", "needs at least one of keywords, query, labels"),
    ("  - name: a\n    query: x\n    sources: [metii]\n", "unknown source(s) 'metii'"),
    ("  - name: a\n    min_score: 2\n", "less than or equal to 1"),
])
def test_rule_config_errors(tmp_path: Path, rule: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, rule)
    assert message in str(e.value)
