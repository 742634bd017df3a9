"""The review surface: the alert_log view and every Datasette canned query run on a real file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from monitor.store import open_db

ROOT = Path(__file__).resolve().parents[2]


def test_alert_log_view_is_flat(db_path: Path) -> None:
    db = open_db(db_path)
    rows = list(db.query("SELECT * FROM alert_log ORDER BY alert_id"))
    assert [(r["item_id"], r["status"], r["slack_ts"]) for r in rows] == [
        ("i1", "sent", "1.1"), ("i2", "failed", None)]
    assert rows[0]["title"].startswith("China adds") and rows[0]["topic"] == '["new_restriction"]'


QUERIES = yaml.safe_load((ROOT / "config" / "datasette.yaml").read_text(encoding="utf-8"))
QUERIES = QUERIES["review"]["queries"]
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


# Datasette hands a blank form field over as ''; the queries must fall back to a default.
BLANK = {"near_misses": 1, "by_label": 2}


@pytest.mark.parametrize("name", sorted(BLANK))
def test_blank_form_field_gets_default(db_path: Path, name: str) -> None:
    sql = QUERIES[name]["sql"]
    params = {p: "" for p in re.findall(r":(\w+)", sql)}
    assert len(open_db(db_path).execute(sql, params).fetchall()) == BLANK[name]


def test_form_values_arrive_as_text(db_path: Path) -> None:
    # Datasette passes every parameter as a string: '0.3' must compare as a number.
    sql = QUERIES["near_misses"]["sql"]
    assert len(open_db(db_path).execute(sql, {"min_score": "0.5"}).fetchall()) == 0
    assert len(open_db(db_path).execute(sql, {"min_score": " 0.3 "}).fetchall()) == 1
