"""The items search index: backfilled by its migration, LIKE when trigrams are missing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.models import Classification, Item
from monitor.rules.query import parse
from monitor.store import open_db, schema
from monitor.store.items import insert_item
from monitor.store.search import candidates, has_index, index_backlog, prefilter

NOW = datetime.now(UTC)
NO = Classification(relevant=False, score=0.1)


def _ids(db: object, query: str) -> set[str]:
    return {r["id"] for r in candidates(db, parse(query), None)}


def test_migration_backfills_items_stored_before_it(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    before = schema.MIGRATIONS[:schema.MIGRATIONS.index(schema._m004_items_search)]
    monkeypatch.setattr(schema, "MIGRATIONS", before)
    db = open_db(tmp_path / "m.db")
    assert not has_index(db)
    insert_item(db, Item(id="old", source="s", title="経済産業省が輸出管理を強化"), NO, [], NOW)
    monkeypatch.undo()
    db = open_db(tmp_path / "m.db")
    assert has_index(db)
    assert _ids(db, "輸出管理") == {"old"}


def test_without_the_index_search_falls_back_to_like(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    insert_item(db, Item(id="a", source="s", title="稀土出口管制", summary="gallium rules"), NO,
                [], NOW)
    insert_item(db, Item(id="b", source="s", title="Weather", summary="sunny"), NO, [], NOW)
    index_backlog(db)
    with_index = (_ids(db, "出口管制"), _ids(db, "稀土"), _ids(db, "gallium OR sunny"))
    db.executescript("DROP TRIGGER items_fts_insert; DROP TRIGGER items_fts_delete;"
                     " DROP TRIGGER items_fts_update; DROP TABLE items_fts;")
    assert not has_index(db)
    assert (_ids(db, "出口管制"), _ids(db, "稀土"), _ids(db, "gallium OR sunny")) == with_index
    assert with_index == ({"a"}, {"a"}, {"a", "b"})


def test_prefilter_only_narrows_where_it_is_safe() -> None:
    assert prefilter(parse("NOT tariff"), fts=True) is None
    assert prefilter(parse("gallium OR NOT tariff"), fts=True) is None
    sql, args = prefilter(parse("gallium NOT tariff"), fts=True)  # type: ignore[misc]
    assert args == ['"gallium"'] and "MATCH" in sql
    sql, args = prefilter(parse("稀土 5%"), fts=True)  # type: ignore[misc]
    assert args == ["%稀土%", "%稀土%", "%5\\%%", "%5\\%%"] and "MATCH" not in sql


def test_new_items_are_searchable_before_and_after_the_bulk_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Items wait in the backlog until the cycle's bulk inserts (here two at a time);
    search finds them either way, and deleting or editing a not-yet-indexed item leaves
    the index intact."""
    from monitor.store import search

    monkeypatch.setattr(search, "INDEX_CHUNK", 2)
    db = open_db(tmp_path / "m.db")
    for i, title in enumerate(["Gallium export licences tightened", "Weather", "稀土出口管制",
                               "Drop me: gallium", "Edit me"]):
        insert_item(db, Item(id=f"i{i}", source="s", title=title), NO, [], NOW)
    backlog = int(db.execute("SELECT COUNT(*) FROM search_backlog").fetchone()[0])
    assert backlog == 5
    # Not indexed yet: the backlog is kept by the SQL narrowing (the rules decide).
    assert {"i0", "i3"} <= _ids(db, "gallium")
    db.execute("DELETE FROM items WHERE id = 'i3'")
    db.execute("UPDATE items SET title = 'Edited gallium note' WHERE id = 'i4'")
    assert index_backlog(db) == 4  # five stored, one deleted before indexing
    assert db.execute("SELECT COUNT(*) FROM search_backlog").fetchone()[0] == 0
    assert _ids(db, "gallium") == {"i0", "i4"}
    assert _ids(db, "出口管制") == {"i2"}
    # Indexed rows: delete and update go through the index.
    db.execute("DELETE FROM items WHERE id = 'i0'")
    db.execute("UPDATE items SET title = 'Weather again' WHERE id = 'i4'")
    assert _ids(db, "gallium") == set()
    db.execute("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')")
