"""Corrections from Slack in the store: one row per user and item, weekly counts, log summary,
and the migration over a database written before feedback existed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from monitor.models import Classification, Item
from monitor.store import open_db
from monitor.store.corrections import (
    for_alerts,
    load_corrections,
    record_click,
    record_correction,
    weekly_feedback,
)
from monitor.store.items import AlertRequest, insert_item
from monitor.store.schema import MIGRATIONS, migrate

MON = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


def _db(tmp_path: Path) -> sqlite_utils.Database:
    db = open_db(tmp_path / "monitor.db")
    for n in range(1, 5):
        item = Item(id=f"i{n}", source="wire", title=f"Export control story {n}",
                    summary="MOFCOM licence rules.", url=f"https://x.org/{n}")
        insert_item(db, item, Classification(relevant=True, score=0.9),
                    [AlertRequest("#export-controls", "classifier")], MON)
    return db


def test_one_row_per_user_and_item_later_click_wins(tmp_path: Path) -> None:
    db = _db(tmp_path)
    record_click(db, envelope_id="e1", item_id="i1", user="U1", relevant=None,
                 topic="enforcement", now=MON)
    out = record_click(db, envelope_id="e2", item_id="i1", user="U1", relevant=True,
                       topic=None, now=MON + timedelta(minutes=1))
    assert [(m.user, m.relevant, m.topic) for m in out.marks] == [("U1", True, ["enforcement"])]
    out = record_click(db, envelope_id="e3", item_id="i1", user="U1", relevant=False,
                       topic=None, now=MON + timedelta(minutes=2))
    assert [(m.relevant, m.topic) for m in out.marks] == [(False, None)]
    assert record_click(db, envelope_id="e3", item_id="i1", user="U1", relevant=True,
                        topic=None, now=MON).status == "duplicate"
    assert record_click(db, envelope_id="e4", item_id="nope", user="U1", relevant=True,
                        topic=None, now=MON).status == "unknown_item"
    assert db.execute("SELECT COUNT(*) FROM corrections").fetchone()[0] == 1


def test_training_reads_slack_and_cli_corrections_alike(tmp_path: Path) -> None:
    db = _db(tmp_path)
    record_click(db, envelope_id="e1", item_id="i1", user="U1", relevant=False, topic=None,
                 now=MON)
    record_click(db, envelope_id="e2", item_id="i2", user="U1", relevant=None,
                 topic="licensing", now=MON)
    record_correction(tmp_path / "monitor.db", "i3", relevant=False, note="typed")
    got = {r["item_id"]: (r["relevant"], r["topic"]) for r in
           load_corrections(tmp_path / "monitor.db")}
    assert got == {"i1": (False, []), "i2": (True, ["licensing"]), "i3": (False, [])}


def test_weekly_feedback_precision_as_analysts_see_it(tmp_path: Path) -> None:
    db = _db(tmp_path)
    click = 0

    def mark(item: str, user: str, relevant: bool, when: datetime) -> None:
        nonlocal click
        click += 1
        record_click(db, envelope_id=f"e{click}", item_id=item, user=user, relevant=relevant,
                     topic=None, now=when)

    mark("i1", "U1", True, MON)
    mark("i1", "U2", True, MON + timedelta(hours=1))  # agreement does not double the item
    mark("i2", "U1", False, MON + timedelta(days=2))
    mark("i3", "U1", True, MON + timedelta(days=6, hours=12))  # Sunday: same week
    mark("i4", "U1", False, MON + timedelta(days=7))  # next Monday
    weeks = weekly_feedback(db)
    assert [(w["week"], w["corrections"], w["items"], w["relevant"], w["not_relevant"],
             w["precision"]) for w in weeks] == [
        ("2026-11-16", 4, 3, 2, 1, 0.667), ("2026-11-23", 1, 1, 0, 1, 0.0)]
    assert weekly_feedback(db, since=MON + timedelta(days=7))[0]["week"] == "2026-11-23"


def test_monitor_log_summary_per_alert(tmp_path: Path) -> None:
    db = _db(tmp_path)
    record_click(db, envelope_id="e1", item_id="i2", user="U1", relevant=False, topic=None,
                 now=MON)
    record_click(db, envelope_id="e2", item_id="i2", user="U2", relevant=True, topic=None,
                 now=MON)
    ids = [r[0] for r in db.execute("SELECT id FROM alerts ORDER BY id").fetchall()]
    got = for_alerts(db, ids)
    assert list(got) == [ids[1]]
    assert got[ids[1]]["relevant"] == 1 and got[ids[1]]["not_relevant"] == 1
    assert got[ids[1]]["latest"]["by"] == "U2"


def test_migration_keeps_corrections_written_before_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for version, step in enumerate(MIGRATIONS[:3], start=1):
        step(db)
        db.execute("INSERT INTO schema_migrations VALUES (?, 'x')", [version])
    db.execute("INSERT INTO corrections (item_id, relevant, created_at) VALUES ('a', 1, 't')")
    db.conn.commit()
    migrate(db)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT item_id, relevant, origin, slack_user FROM corrections"
                            ).fetchall() == [("a", 1, "cli", None)]
