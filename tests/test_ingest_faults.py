"""Fault injection on every write path of a poll: a failed ingest keeps nothing and loses nothing.

A trigger makes one kind of write fail, the poll runs, the fault is removed, the
poll runs again.  Before explicit transactions the first run stored the item (and
the feed's new ETag) but not its alert: the item was "known" and never alerted.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from monitor.alert import ConsoleSink, Sinks
from monitor.classify import load_classifier
from monitor.config import Config
from monitor.pipeline import Pipeline
from monitor.store import open_db
from tests.fakes.feeds import FeedServer, rss

NOW = datetime.now(UTC)
STORY = {"title": "China imposes export controls on gallium and germanium",
         "summary": "MOFCOM said exporters need a dual-use licence.",
         "link": "https://news.example.org/gallium", "guid": "wire-1",
         "published": NOW - timedelta(hours=2)}
FAULTS = {
    "alerts": "BEFORE INSERT ON alerts",
    "sightings": "BEFORE INSERT ON item_sources",
    "items": "BEFORE INSERT ON items",
    "health": "BEFORE UPDATE OF last_polled ON sources",
}


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


def setup(tmp_path: Path, url: str, classifier: object, **alerts: object) -> tuple[
        Pipeline, io.StringIO, sqlite_utils.Database]:
    cfg = Config.model_validate({
        "database": str(tmp_path / "m.db"),
        "alerts": {"channel": "#export-controls", "pace": 0, "ops_channel": "#ops", **alerts},
        "sources": [{"name": "news", "url": url}],
    })
    out = io.StringIO()
    db = open_db(cfg.database)
    return Pipeline(cfg, db, classifier, sinks=Sinks(slack=ConsoleSink(out))), out, db  # type: ignore[arg-type]


def inject(db: sqlite_utils.Database, where: str, when: str = "") -> None:
    db.execute(f"CREATE TRIGGER fault {where} {when} BEGIN"
               " SELECT RAISE(ABORT, 'injected fault'); END")


def heal(db: sqlite_utils.Database) -> None:
    db.execute("DROP TRIGGER fault")


def count(db: sqlite_utils.Database, table: str) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_failed_ingest_keeps_nothing_and_the_next_poll_alerts(
        tmp_path: Path, feed_server: FeedServer, classifier: object, fault: str) -> None:
    url = feed_server.set("/a.xml", rss([STORY]))
    pipe, out, db = setup(tmp_path, url, classifier)
    pipe.poll()  # first poll: source row exists, backlog window over
    feed_server.set("/a.xml", rss([STORY, dict(STORY, guid="wire-2", link=STORY["link"] + "2",
                                               title="US adds 30 Chinese firms to Entity List")]))
    items_before = count(db, "items")
    inject(db, FAULTS[fault])
    report, _ = pipe.run_once()
    (outcome,) = report.outcomes
    assert outcome.status == "error" and "injected fault" in str(outcome.error)
    assert count(db, "items") == items_before  # nothing half-stored
    assert "Entity List" not in out.getvalue()
    heal(db)
    report, _ = pipe.run_once()
    # The validators of the failed poll were not kept: this is a full fetch, not a 304.
    assert report.outcomes[0].status == "ok" and report.outcomes[0].new_items == 1
    assert out.getvalue().count("US adds 30 Chinese firms to Entity List") == 1
    assert db.execute("SELECT status FROM alerts a JOIN items i ON i.id = a.item_id"
                      " WHERE i.guid = 'wire-2'").fetchall() == [("sent",)]


def test_failed_ops_notice_keeps_the_failure_count_unannounced(
        tmp_path: Path, feed_server: FeedServer, classifier: object) -> None:
    url = feed_server.set("/down.xml", "oops", status=500)
    pipe, out, db = setup(tmp_path, url, classifier, failures_before_ops_alert=1)
    inject(db, "BEFORE INSERT ON alerts", "WHEN NEW.kind = 'ops'")
    pipe.run_once()
    row = db.execute("SELECT consecutive_failures, ops_alerted FROM sources").fetchone()
    assert row == (0, None)  # the notice, the mark and the counter fail together
    heal(db)
    pipe.run_once()
    row = db.execute("SELECT consecutive_failures, ops_alerted FROM sources").fetchone()
    assert row == (1, "failing")
    assert count(db, "alerts WHERE kind = 'ops'") == 1
    assert "news failing" in out.getvalue()
