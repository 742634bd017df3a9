"""`monitor search` and `monitor rules test` on an alert log filled by `monitor run --once`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.models import Classification, Item
from monitor.rules.query import parse
from monitor.store import open_db
from monitor.store.items import insert_item
from monitor.store.search import candidates, index_backlog
from tests.analyst.conftest import AlertLog


@pytest.fixture
def invoke(alert_log: AlertLog, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from monitor.cli import _register

    _register()
    monkeypatch.setenv("MONITOR_CONFIG", str(alert_log.config))
    monkeypatch.setenv("MONITOR_DB", str(alert_log.db))

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == code, result.output
        return result.output

    return run


def titles(output: str) -> list[str]:
    return [json.loads(line)["title"] for line in output.splitlines()]


@pytest.mark.parametrize(("query", "expected"), [
    ("稀土", ["稀土价格本周小幅上涨"]),  # two characters: below the trigram, LIKE fallback
    ("輸出管理", ["経済産業省、先端半導体製造装置23品目を輸出管理の対象に追加"]),
    ("出口管制 镓", ["商务部公告：对镓、锗相关物项实施出口管制"]),
    ("semiconductor", ["Japan tightens export controls on semiconductor manufacturing equipment"]),
    ('"rare earth" OR レアアース', ["Rare earth miner reports record quarterly profit",
                                    "レアアース供給網の強化へ 政府が新方針"]),  # NFKC on ingest
    ("gallium NOT germanium", []),
])
def test_search_english_chinese_japanese(invoke, query: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert sorted(titles(invoke("search", query, "--json"))) == sorted(expected)


def test_search_json_fields_newest_first_and_limit(invoke) -> None:  # type: ignore[no-untyped-def]
    lines = [json.loads(x) for x in invoke("search", "export", "--json").splitlines()]
    assert len(lines) >= 3
    assert {"id", "title", "url", "published", "relevant", "score", "topic", "item",
            "jurisdiction"} <= set(lines[0])
    published = [x["published"] for x in lines]
    assert published == sorted(published, reverse=True)
    assert len(invoke("search", "export", "--json", "--limit", "1").splitlines()) == 1


def test_search_whole_words_not_substrings(invoke) -> None:  # type: ignore[no-untyped-def]
    assert titles(invoke("search", "port", "--json")) == []  # "export" is not "port"


def titles_found(db: object, query: str) -> list[str]:
    return [r["title"] for r in candidates(db, parse(query), None)]


def test_fts_index_follows_inserts_updates_deletes(alert_log: AlertLog, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(alert_log.db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    db = open_db(copy)
    insert_item(db, Item(id="n1", source="s", title="Antimony export licence rules"),
                Classification(relevant=False, score=0.1), [], datetime.now(UTC))

    def hits(word: str) -> int:
        return int(db.execute("SELECT COUNT(*) FROM items_fts WHERE items_fts MATCH ?",
                              [f'"{word}"']).fetchone()[0])

    assert hits("antimony") == 0  # stored, waiting for the cycle's bulk insert
    assert titles_found(db, "antimony") == ["Antimony export licence rules"]
    index_backlog(db)
    assert hits("antimony") == 1
    db.execute("UPDATE items SET title = 'Tungsten export licence rules' WHERE id = 'n1'")
    assert (hits("antimony"), hits("tungsten")) == (0, 1)
    db.execute("DELETE FROM item_sources WHERE item_id = 'n1'")
    db.execute("DELETE FROM items WHERE id = 'n1'")
    assert hits("tungsten") == 0
    assert db.execute("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')")


def test_rules_test_counts_and_explains_bad_queries(alert_log: AlertLog) -> None:
    query = '(輸出管理 OR "export control") AND (semiconductor OR 半導体) AND NOT tariff'
    proc = alert_log.run("rules", "test", query, "--since", "30d")
    assert proc.stdout.startswith("2 stored items within 30d match")
    assert "経済産業省" in proc.stdout and "Japan tightens" in proc.stdout
    bad = alert_log.run("rules", "test", "gallium AND (germanium", check=False)
    assert bad.returncode == 2
    assert "bad query at position 23: missing ')'" in bad.stderr


def test_search_as_a_real_process(alert_log: AlertLog) -> None:
    proc = alert_log.run("search", "出口管制", "--json")
    assert [json.loads(x)["url"] for x in proc.stdout.splitlines()] == [
        "https://mofcom.example/ga"]


def test_rules_match_applies_every_condition_of_a_configured_rule(invoke) -> None:  # type: ignore[no-untyped-def]
    out = invoke("rules", "match", "japan", "--since", "all")
    assert out.startswith("2 stored items within all match rule 'japan' (channel #japan)")
    assert "経済産業省" in out and "Japan tightens" in out
    assert "no watch rule named 'nope'" in invoke("rules", "match", "nope", code=2)
