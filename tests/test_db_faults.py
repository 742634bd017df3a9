"""Database faults (locked, full, read-only): one line naming the file, nothing lost, a notice."""

from __future__ import annotations

import io
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from monitor.alert import ConsoleSink, Sinks
from monitor.classify import load_classifier
from monitor.config import ConfigWatcher
from monitor.dbfaults import FaultWatch
from monitor.errors import DatabaseBusy
from monitor.pipeline import Pipeline
from monitor.schedule import Monitor
from monitor.store import open_db
from monitor.store.outbox import enqueue_ops
from tests.fakes.feeds import FeedServer, rss
from tests.test_pipeline import pipeline

NOW = datetime.now(UTC)
STORY = {"title": "China imposes export controls on gallium and germanium",
         "summary": "MOFCOM said exporters need a dual-use licence.",
         "link": "https://news.example.org/gallium", "guid": "wire-1",
         "published": NOW - timedelta(hours=2)}


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


def setup(tmp_path: Path, urls: dict[str, str], classifier: object) -> tuple[
        Pipeline, io.StringIO, sqlite_utils.Database]:
    pipe, out, db = pipeline(tmp_path, urls, classifier)
    db.execute("PRAGMA busy_timeout = 100")  # a lock held elsewhere fails fast
    return pipe, out, db


def external_writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], "expected fault logged with traceback"
    assert all("\n" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("fault,cause", [
    ("locked", "database is locked by another writer"),
    ("full", "disk full"),
    ("read-only", "database is read-only"),
])
def test_fault_is_one_line_naming_the_file_and_the_poll_is_fetched_again(
        tmp_path: Path, feed_server: FeedServer, classifier: object,
        caplog: pytest.LogCaptureFixture, fault: str, cause: str) -> None:
    filler = [dict(STORY, guid=f"f{i}", link=f"https://n.example/{i}",
                   title=f"Harbour traffic report number {i}", summary="Ships. " * 400)
              for i in range(30)]  # enough pages to overflow the full-disk limit
    url = feed_server.set("/a.xml", rss([STORY, *filler]))
    pipe, out, db = setup(tmp_path, {"a": url}, classifier)
    pipe.due(NOW)  # the source row exists before the fault
    db_file = Path(str(pipe.config.database))
    holder = None
    if fault == "locked":
        holder = external_writer(db_file)
    elif fault == "full":
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    else:
        db.execute("PRAGMA query_only = 1")
    with caplog.at_level(logging.INFO):
        report = pipe.poll()
    (outcome,) = report.outcomes
    assert outcome.status == "error" and cause in str(outcome.error)
    assert str(db_file) in str(outcome.error)
    assert report.store_fault is not None
    no_tracebacks(caplog)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        f"source a: {outcome.error}"]
    if holder is not None:
        holder.execute("ROLLBACK")
    db.execute("PRAGMA max_page_count = 1073741823")
    db.execute("PRAGMA query_only = 0")
    report, _ = pipe.run_once()
    assert report.outcomes[0].new_items == 31 and "gallium and germanium" in out.getvalue()


def test_a_poll_job_needs_no_write_when_nothing_changed(
        tmp_path: Path, feed_server: FeedServer, classifier: object) -> None:
    urls = {f"s{i}": feed_server.set(f"/{i}.xml", rss([])) for i in range(20)}
    pipe, _out, _db = setup(tmp_path, urls, classifier)
    pipe.due(NOW)
    holder = external_writer(Path(str(pipe.config.database)))  # an external writer holds the lock
    try:
        assert len(pipe.due(NOW)) == 20  # before: 20 upserts, each "database is locked"
    finally:
        holder.execute("ROLLBACK")


def test_lasting_fault_gives_one_notice_and_one_recovery() -> None:
    sent: list[str] = []
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    watch = FaultWatch(sent.append, grace=timedelta(minutes=2), clock=lambda: now[0])
    error = DatabaseBusy("data/monitor.db: database is locked by another writer")
    for _ in range(30):  # 30 jobs over 5 minutes
        watch.failed("delivery", error)
        now[0] += timedelta(seconds=10)
    assert len(sent) == 1 and "data/monitor.db" in sent[0] and "locked" in sent[0]
    watch.succeeded()
    watch.succeeded()
    assert len(sent) == 2 and "writable again" in sent[1]


def test_scheduled_jobs_log_database_faults_as_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        classifier: object) -> None:
    monkeypatch.setattr("monitor.store.db.BUSY_TIMEOUT_MS", 100)
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"database: {tmp_path / 'm.db'}\nalerts: {{pace: 0s}}\nsources: []\n",
                   encoding="utf-8")
    enqueue_ops(open_db(tmp_path / "m.db"), "#ops", "pending notice", NOW)
    mon = Monitor(ConfigWatcher(cfg), lambda _c: classifier,
                  lambda c, db, cl: Pipeline(c, db, cl,
                                             sinks=Sinks(slack=ConsoleSink(io.StringIO()))))
    holder = external_writer(tmp_path / "m.db")
    try:
        with caplog.at_level(logging.INFO):
            mon.deliver()
    finally:
        holder.execute("ROLLBACK")
    no_tracebacks(caplog)
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert line.startswith(f"delivery: {tmp_path / 'm.db'}: database is locked")
    assert mon.db_faults.since is not None
    mon.deliver()
    assert mon.db_faults.since is None
