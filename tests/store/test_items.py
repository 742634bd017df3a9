"""The alert log: WAL file, versioned migrations, one row per distinct item."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import StoreError
from monitor.models import Classification, Item
from monitor.store import open_db
from monitor.store.items import AlertRequest, find_existing, insert_item, item_row, record_sighting
from monitor.store.schema import MIGRATIONS

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
VERDICT = Classification(relevant=True, score=0.9, topic=("new_restriction",),
                         item=("rare_earths",), jurisdiction=("CN",), why=("cue",))


def make(source: str = "a", guid: str | None = "g1", url: str | None = "https://x.org/1",
         title: str = "China tightens rare earth export controls", id: str = "id1") -> Item:
    return Item(id=id, source=source, title=title, guid=guid, url=url, canonical_url=url,
                title_key=title.casefold().replace(" ", ""))


def test_wal_and_migrations(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"sources", "items", "alerts", "item_sources", "corrections"} <= set(db.table_names())
    version = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
    assert version == len(MIGRATIONS)
    open_db(tmp_path / "m.db")  # idempotent
    assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    db.execute("INSERT INTO schema_migrations VALUES (999, 'x')")
    db.conn.commit()
    with pytest.raises(StoreError, match="newer than this monitor"):
        open_db(tmp_path / "m.db")


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "m.db"
    p.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        open_db(p)


def test_item_and_alerts_in_one_transaction(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    insert_item(db, make(), VERDICT, [AlertRequest("#a", "classifier"),
                                      AlertRequest("#a", "watch:x")], NOW)
    # A second reader sees both, committed.
    other = sqlite3.connect(tmp_path / "m.db")
    assert other.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1
    assert other.execute("SELECT channel, reason, status FROM alerts").fetchall() == [
        ("#a", "classifier", "pending")]
    row = item_row(db, "id1")
    assert row is not None and row["topic"] == ["new_restriction"] and row["sources"] == ["a"]
    assert row["first_seen"] == "2026-11-20T12:00:00Z"


@pytest.mark.parametrize("twin", [
    make(id="other", guid="g1", url="https://x.org/changed", title="Edited headline"),  # same guid
    make(id="other", guid="new-guid", title="Edited headline"),  # same canonical link
    make(id="other", guid="new-guid", url="https://x.org/2"),  # same normalised title
    make(id="other", source="b", guid="zz", title="Different words entirely here"),  # syndicated
])
def test_duplicates_are_found(tmp_path: Path, twin: Item) -> None:
    db = open_db(tmp_path / "m.db")
    insert_item(db, make(), VERDICT, [], NOW)
    assert find_existing(db, twin, NOW) == "id1"


def test_old_title_twin_is_a_new_item(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    insert_item(db, make(), VERDICT, [], NOW - timedelta(days=60))
    assert find_existing(db, make(id="n", guid="n", url="https://x.org/9"), NOW) is None


def test_syndication_records_every_source(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    insert_item(db, make(), VERDICT, [], NOW)
    record_sighting(db, "id1", make(source="b", guid="b-1"), NOW)
    record_sighting(db, "id1", make(source="b", guid="b-1"), NOW)
    row = item_row(db, "id1")
    assert row is not None and row["sources"] == ["a", "b"]
