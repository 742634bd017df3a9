"""Fact extraction tables: each row is (text, key, expected values)."""

from __future__ import annotations

import pytest

from monitor.classify.facts import extract_facts

CASES = [
    ("MOFCOM issued Announcement No. 61 and No. 62 of 2025 on rare earth technologies.",
     "announcements", ["MOFCOM 2025 No. 61", "MOFCOM 2025 No. 62"]),
    ("商务部公告2025年第61号 关于对境外相关稀土物项实施出口管制的决定", "announcements",
     ["MOFCOM 2025 No. 61"]),
    ("商务部 海关总署公告2024年第33号", "announcements", ["MOFCOM 2024 No. 33"]),
    ("The announcement, No. 46 of 2024, takes effect immediately.", "announcements",
     ["Announcement 2024 No. 46"]),
    ("There were 61 announcements in 2025.", "announcements", []),
    ("The rule takes effect on December 1, 2025.", "effective_dates", ["2025-12-01"]),
    ("Controls effective 15 September 2024 apply to antimony.", "effective_dates",
     ["2024-09-15"]),
    ("本公告自2025年12月1日起施行。", "effective_dates", ["2025-12-01"]),
    ("自9月15日起对锑实施出口管制", "effective_dates", ["September 15"]),
    ("本公告自公布之日起正式实施。", "effective_dates", ["on publication"]),
    ("韓国向け3品目、7月4日から個別許可に。3月18日発動", "effective_dates", ["March 18"]),
    ("The talks ran from October 31 to November 1.", "effective_dates", []),
    ("Items under ECCN 3A090 and 4A090 need a licence.", "eccns", ["3A090", "4A090"]),
    ("ECCN 3B001.c covers etch tools.", "eccns", ["3B001.c"]),
    ("Model 2A100 vacuum cleaner goes on sale.", "eccns", []),
    ("5G phones and 4K screens", "eccns", []),
    ("Exports of gallium, germanium and antimony are banned.", "items",
     ["gallium", "germanium", "antimony"]),
    ("对镓、锗相关物项实施出口管制", "items", ["gallium", "germanium"]),
    ("HBM and rare earth magnets are covered.", "items", ["HBM", "rare earth magnets"]),
    ("Cadence sold EDA tools", "items", ["EDA software"]),
    ("The Fed cut rates.", "items", []),
    ("The Commerce Department added Huawei and SMIC to the Entity List on Friday.", "entities",
     ["Huawei", "SMIC"]),
    ("BIS placed Inspur Group on the Entity List.", "entities", ["Inspur Group"]),
    ("商务部将三菱造船、川崎重工等20家日本实体列入出口管制管控名单", "entities",
     ["三菱造船", "川崎重工"]),
    ("The NLP toolkit adds entity list matching.", "entities", []),
]


@pytest.mark.parametrize(("text", "key", "expected"), CASES)
def test_fact_table(text: str, key: str, expected: list[str]) -> None:
    assert extract_facts("", text)[key] == expected


def test_every_key_present_for_empty_input() -> None:
    facts = extract_facts("", "")
    assert set(facts) == {"announcements", "effective_dates", "eccns", "items", "entities"}
    assert all(v == [] for v in facts.values())
