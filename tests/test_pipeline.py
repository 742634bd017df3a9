"""One poll in-process: dedup across outlets and restarts, backlog, syndication."""

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
         "link": "https://news.example.org/2023/07/gallium", "guid": "wire-1",
         "published": NOW - timedelta(hours=2)}


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


def pipeline(tmp_path: Path, urls: dict[str, str], classifier: object) -> tuple[
        Pipeline, io.StringIO, sqlite_utils.Database]:
    cfg = Config.model_validate({
        "database": str(tmp_path / "m.db"),
        "alerts": {"channel": "#export-controls", "pace": 0},
        "sources": [{"name": n, "url": u} for n, u in urls.items()],
    })
    out = io.StringIO()
    db = open_db(cfg.database)
    return Pipeline(cfg, db, classifier, sinks=Sinks(slack=ConsoleSink(out))), out, db  # type: ignore[arg-type]


def count(db: sqlite_utils.Database, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0])


def test_restart_with_changed_guids_and_tracking_params_realerts_nothing(
        tmp_path: Path, feed_server: FeedServer, classifier: object) -> None:
    url = feed_server.set("/a.xml", rss([STORY]))
    pipe, out, _db = pipeline(tmp_path, {"a": url}, classifier)
    pipe.run_once()
    assert out.getvalue().count("gallium and germanium") == 1
    # The publisher re-issues the entry with a new GUID and a tracking-laden link.
    feed_server.set("/a.xml", rss([dict(STORY, guid="wire-1-v2",
                                        link=STORY["link"] + "/?utm_source=rss&utm_medium=x")]))
    restarted, out2, db2 = pipeline(tmp_path, {"a": url}, classifier)  # a new process, same DB
    restarted.run_once()
    assert out2.getvalue() == ""
    assert count(db2, "SELECT COUNT(*) FROM items") == 1
    assert count(db2, "SELECT COUNT(*) FROM alerts") == 1


def test_syndicated_story_is_stored_once_with_every_source(
        tmp_path: Path, feed_server: FeedServer, classifier: object) -> None:
    a = feed_server.set("/a.xml", rss([STORY]))
    b = feed_server.set("/b.xml", rss([dict(STORY, guid="other-outlet-77",
                                            link=STORY["link"] + "?fbclid=abc")]))
    c = feed_server.set("/c.xml", rss([dict(STORY, guid="c-1", link="https://mirror.example/x",
                                            title=STORY["title"] + " - Reuters")]))
    pipe, out, db = pipeline(tmp_path, {"a": a, "b": b, "c": c}, classifier)
    pipe.run_once()
    assert count(db, "SELECT COUNT(*) FROM items") == 1
    assert [r[0] for r in db.execute("SELECT source FROM item_sources ORDER BY source")] == [
        "a", "b", "c"]
    assert out.getvalue().count("gallium and germanium") == 1


def test_near_identical_headlines_share_a_story(
        tmp_path: Path, feed_server: FeedServer, classifier: object) -> None:
    a = feed_server.set("/a.xml", rss([STORY]))
    b = feed_server.set("/b.xml", rss([dict(
        STORY, guid="b-1", link="https://other.example/y",
        title="China imposes export controls on gallium, germanium")]))
    pipe, _out, db = pipeline(tmp_path, {"a": a, "b": b}, classifier)
    pipe.run_once()
    stories = {r[0] for r in db.execute("SELECT story_id FROM items")}
    assert count(db, "SELECT COUNT(*) FROM items") == 2 and len(stories) == 1


def test_first_poll_backlog_and_undated_entries(
        tmp_path: Path, feed_server: FeedServer, classifier: object) -> None:
    old = dict(STORY, guid="old", link="https://n.example/old", published=NOW - timedelta(days=9),
               title="China announces export controls on graphite items")
    undated = dict(STORY, guid="undated", link="https://n.example/u", published=None,
                   title="US adds Chinese chip firms to the Entity List")
    url = feed_server.set("/a.xml", rss([old, undated]))
    pipe, out, db = pipeline(tmp_path, {"a": url}, classifier)
    pipe.run_once()
    assert out.getvalue() == ""  # first poll: stale and undated entries are backlog
    assert count(db, "SELECT COUNT(*) FROM items") == 2
    later = dict(undated, guid="undated-2", link="https://n.example/u2",
                 title="Japan adds 23 chipmaking tools to export control list")
    feed_server.set("/a.xml", rss([later, old, undated]))
    pipe.run_once()
    assert "Japan adds 23" in out.getvalue()  # after the first poll, new means new
