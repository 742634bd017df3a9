"""The review surface: the alert_log view and every Datasette canned query run on a real file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from monitor.classify import record_correction
from monitor.models import Classification, Item
from monitor.store import open_db
from monitor.store.items import AlertRequest, insert_item
from monitor.store.sources import ensure_source

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(microsecond=0)


def _item(n: int, title: str) -> Item:
    return Item(id=f"i{n}", source="mofcom", title=title, url=f"https://x.org/{n}",
                canonical_url=f"https://x.org/{n}", title_key=f"k{n}")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.db"
    db = open_db(path)
    ensure_source(db, "mofcom", "https://x.org/feed", "feed")
    db.execute("UPDATE sources SET health = 'failing', consecutive_failures = 3,"
               " last_error = 'HTTP 503' WHERE name = 'mofcom'")
    hot = Classification(relevant=True, score=0.97, topic=("new_restriction",),
                         item=("rare_earths",), jurisdiction=("CN",), why=("'出口管制' in title",))
    insert_item(db, _item(1, "China adds rare earth technology to export control list"),
                hot, [AlertRequest("#export-controls", "classifier")], NOW, story_id="s1")
    insert_item(db, _item(2, "商务部公告：稀土技术出口管制"), hot,
                [AlertRequest("#export-controls", "classifier")], NOW + timedelta(minutes=1),
                story_id="s1")
    insert_item(db, _item(3, "Tariffs on steel rise"), Classification(relevant=False, score=0.4),
                [], NOW)
    db.execute("UPDATE alerts SET status = 'sent', ts = '1.1' WHERE item_id = 'i1'")
    db.execute("UPDATE alerts SET status = 'failed', last_error = 'channel_not_found'"
               " WHERE item_id = 'i2'")
    db.conn.commit()
    record_correction(path, "i3", relevant=False, note="tariffs only")
    return path


def test_alert_log_view_is_flat(db_path: Path) -> None:
    db = open_db(db_path)
    rows = list(db.query("SELECT * FROM alert_log ORDER BY alert_id"))
    assert [(r["item_id"], r["status"], r["slack_ts"]) for r in rows] == [
        ("i1", "sent", "1.1"), ("i2", "failed", None)]
    assert rows[0]["title"].startswith("China adds") and rows[0]["topic"] == '["new_restriction"]'


QUERIES = yaml.safe_load((ROOT / "config" / "datasette.yaml").read_text(encoding="utf-8"))
QUERIES = QUERIES["databases"]["monitor"]["queries"]
PARAMS = {"min_score": 0.3, "label": "rare_earths"}
EXPECT = {"recent_alerts": 2, "undelivered": 1, "unhealthy_sources": 1, "near_misses": 1,
          "by_label": 2, "stories": 1, "corrections_log": 1,
          "slack_feedback": 0, "feedback_by_week": 1}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_canned_query_runs(db_path: Path, name: str) -> None:
    sql = QUERIES[name]["sql"]
    params = {p: PARAMS[p] for p in re.findall(r":(\w+)", sql)}
    rows = open_db(db_path).execute(sql, params).fetchall()
    assert len(rows) == EXPECT[name]


def test_every_query_has_an_expectation() -> None:
    assert set(QUERIES) == set(EXPECT)
