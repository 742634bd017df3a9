"""Story linking and dedup with 100,000 stored items: index lookups, same links as a scan."""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils

from monitor import stories
from monitor.alert import ConsoleSink, Sinks
from monitor.classify import load_classifier
from monitor.config import Config
from monitor.models import Classification, Item
from monitor.pipeline import Pipeline
from monitor.sources import title_key
from monitor.store import iso, open_db
from monitor.store.items import decode_facts, insert_item
from monitor.store.sources import ensure_source, get_state
from monitor.store.story_index import (
    KEY_POSTINGS,
    MAX_STORY_CANDIDATES,
    forget,
    story_candidates,
)
from monitor.store.tx import transaction

N = 100_000
NOW = datetime.now(UTC).replace(microsecond=0)
OLD = "US adds 12 Chinese chipmakers to the Entity List over AI chips"
ANNOUNCED = "商务部公告2025年第61号：对稀土相关技术实施出口管制"


def _item(i: int, title: str, source: str = "wire") -> Item:
    return Item(id=f"new-{i}", source=source, title=title, guid=f"new-{i}",
                url=f"https://example.org/new/{i}", canonical_url=f"https://example.org/new/{i}",
                title_key=title_key(title), published=NOW)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, sqlite_utils.Database]:
    path = tmp_path_factory.mktemp("big") / "m.db"
    db = open_db(path)
    rng = random.Random(7)
    start = NOW - timedelta(days=2)  # all inside the three-day linking window
    rows, keys = [], []
    for i in range(N):
        title = f"Filler headline number {i} about weather {rng.randrange(10**9)}"
        facts = '{"announcements": ["MOFCOM 2025 No. 61"]}' if i == 70_000 else "{}"
        if i == 5_000:
            title = OLD
        rows.append((f"old-{i}", "filler", f"g{i}", f"https://example.org/{i}",
                     f"https://example.org/{i}", title, title_key(title),
                     iso(start + timedelta(seconds=i)), f"story-{i}", facts))
        if i in (5_000, 70_000):
            keys += [(k, i + 1) for k in stories.story_keys(title_key(title), decode_facts(facts))]
    # Fillers get random keys, as many as a title has (distinct titles give unrelated
    # pseudo-random keys): the index has its real size, built in seconds.
    filler = np.random.default_rng(7).integers(-(2**63), 2**63 - 1, size=(N, stories.BANDS),
                                               dtype=np.int64)
    rowids = np.repeat(np.arange(1, N + 1, dtype=np.int64), stories.BANDS)
    flat = filler.ravel()
    order = np.argsort(flat, kind="stable")  # B-tree appends instead of random inserts
    keys += list(zip(flat[order].tolist(), rowids[order].tolist(), strict=True))
    db.execute("PRAGMA cache_size = -200000")
    with db.conn:
        db.conn.executemany(
            "INSERT INTO items (id, source, guid, url, canonical_url, title, title_key,"
            " first_seen, story_id, facts) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        db.conn.executemany(
            "INSERT OR IGNORE INTO story_keys (key, item_rowid) VALUES (?, ?)", keys)
        db.conn.executemany(
            "INSERT INTO item_sources (item_id, source, guid, url, first_seen)"
            " VALUES (?, 'filler', ?, ?, ?)", [(r[0], r[2], r[3], r[7]) for r in rows])
    db.execute("ANALYZE")
    cfg = Config.model_validate({"database": str(path), "alerts": {"channel": "#ec", "pace": 0},
                                 "sources": [{"name": "wire", "url": "http://127.0.0.1:9/x"}]})
    ensure_source(db, "wire", "http://127.0.0.1:9/x", "feed")
    pipe = Pipeline(cfg, db, load_classifier(threshold=0.0),
                    sinks=Sinks(slack=ConsoleSink(io.StringIO())))
    return pipe, db


def _story(db: sqlite_utils.Database, item_id: str) -> str:
    return str(db.execute("SELECT story_id FROM items WHERE id = ?", [item_id]).fetchone()[0])


def test_near_identical_headline_links_to_an_old_story(big: tuple[Pipeline,
                                                                  sqlite_utils.Database]) -> None:
    pipe, db = big
    state = get_state(db, "wire")
    pipe.ingest(_item(1, "US adds 12 Chinese chip makers to Entity List over AI chips"),
                state, NOW)
    assert _story(db, "new-1") == "story-5000"
    pipe.ingest(_item(2, "Heavy snow closes airports across northern Europe"), state, NOW)
    assert _story(db, "new-2") == "new-2"  # unrelated: a story of its own
    # Linked through the shared announcement number, not the wording.
    pipe.ingest(_item(3, ANNOUNCED), state, NOW)
    assert _story(db, "new-3") == "story-70000"
    # The new items are indexed too: a third report joins the first one's story.
    pipe.ingest(_item(4, "Heavy snow closes airports across northern Europe again"), state, NOW)
    assert _story(db, "new-4") == "new-2"


def test_linking_matches_a_full_scan_of_the_window(big: tuple[Pipeline,
                                                              sqlite_utils.Database]) -> None:
    _pipe, db = big
    since = iso(NOW - timedelta(days=3))
    titles = [OLD.replace("12", "15"), OLD.upper(), "Completely different text here"]
    for t in titles:
        key = title_key(t)
        scan = [(str(r[0]), str(r[1]), str(r[2] or ""), decode_facts(r[3])) for r in db.execute(
            "SELECT id, story_id, title_key, facts FROM items WHERE first_seen >= ?"
            " AND title_key LIKE '%chip%' ORDER BY first_seen", [since]).fetchall()]
        indexed = [(i, s, t, decode_facts(f)) for i, s, t, f in story_candidates(
            db, stories.story_keys(key, {}), NOW - timedelta(days=3))]
        assert stories.assign_story(key, {}, indexed) == stories.assign_story(key, {}, scan)


def test_ingest_statements_use_indexes(big: tuple[Pipeline, sqlite_utils.Database],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Every statement of an ingest is an index lookup, never a table scan; prints ms/item."""
    pipe, db = big
    state = get_state(db, "wire")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        pipe.ingest(_item(10, "China tightens export controls on gallium, germanium"), state, NOW)
        pipe.ingest(_item(10, "China tightens export controls on gallium, germanium"), state, NOW)
    finally:
        db.conn.set_trace_callback(None)
    tables = set(db.table_names())
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "INSERT"))]
    assert any("story_keys" in s for s in selects)
    for sql in selects:
        plan = [str(r[3]) for r in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()]
        # Scanning the (at most MAX_STORY_CANDIDATES) rows of a subquery is fine.
        scans = [p for p in plan if p.startswith("SCAN") and p.split()[1] in tables]
        assert not scans, (sql, plan)
    # Measured, not asserted (shared machine): the target is <= 2 ms per item.
    titles = [t for t in (f"{a} {b} {c}" for a in ("Japan", "Korea", "EU", "India", "Chile")
                          for b in ("tightens", "eases", "reviews", "drafts")
                          for c in ("gallium export rules", "chip tool licences",
                                    "graphite shipment checks", "customs guidance",
                                    "battery quotas"))]
    rounds = []  # three rounds of 100 new items: this machine's speed drifts within seconds
    for r in range(3):
        start = time.perf_counter()
        for i, title in enumerate(titles):
            n = r * len(titles) + i
            pipe.ingest(_item(100 + n, f"{title} (report {n * 7919 % 10007})"), state, NOW)
        rounds.append((time.perf_counter() - start) / len(titles) * 1000)
    with capsys.disabled():
        print(f"\n[{N:,} items stored] ingest (dedup + story link + classify + insert): "
              f"{sorted(rounds)[1]:.2f} ms/item, the median of three rounds of "
              f"{len(titles)} new items ({', '.join(f'{x:.2f}' for x in rounds)})")


def _vm_steps(db: sqlite_utils.Database, work: Callable[[], object]) -> int:
    """SQLite virtual-machine steps (in hundreds) that `work` costs: a count, not a clock."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    db.conn.set_progress_handler(tick, 100)
    try:
        work()
    finally:
        db.conn.set_progress_handler(None, 100)
    return steps[0]


def test_a_crowded_key_costs_the_same_however_many_items_share_it(tmp_path: Path) -> None:
    """Headlines from one template share every LSH band: a lookup reads the newest
    KEY_POSTINGS items of each key, so 3,000 twins cost what 300 do, and the twins it
    returns are the newest ones."""
    db = open_db(tmp_path / "m.db")
    key = title_key("MOFCOM notice on dual-use export licensing for gallium products")
    keys = stories.story_keys(key, {})
    since = NOW - timedelta(days=3)

    def add(start: int, stop: int) -> None:
        with db.conn:
            for i in range(start, stop):
                cur = db.conn.execute(
                    "INSERT INTO items (id, source, title, title_key, first_seen, story_id)"
                    " VALUES (?, 'wire', 'x', ?, ?, 'story-1')",
                    [f"twin-{i}", key, iso(NOW - timedelta(hours=1) + timedelta(seconds=i))])
                db.conn.executemany("INSERT INTO story_keys VALUES (?, ?)",
                                    [(k, cur.lastrowid) for k in keys])

    add(0, 300)
    forget(db)  # measure the read from the table, not the writer's memory
    small = _vm_steps(db, lambda: story_candidates(db, keys, since))
    add(300, 3000)
    forget(db)
    large = _vm_steps(db, lambda: story_candidates(db, keys, since))
    assert large <= small * 1.25, (small, large)
    found = story_candidates(db, keys, since)
    assert len(found) == min(MAX_STORY_CANDIDATES, KEY_POSTINGS)  # every key names the same twins
    assert all(int(item_id.split("-")[1]) >= 3000 - KEY_POSTINGS for item_id, *_ in found)
    assert stories.assign_story(key, {}, found) == "story-1"


def test_the_writers_memory_agrees_with_the_table(tmp_path: Path) -> None:
    """Lookups served from memory (filled on a miss, extended by inserts on the same
    connection) name the same candidates as a fresh connection reading the table,
    through inserts, a rolled-back poll and new items afterwards."""
    path = tmp_path / "m.db"
    db = open_db(path)
    since = NOW - timedelta(days=3)
    titles = [f"{a} {b} gallium export licences" for a in ("Japan", "Korea", "EU", "Chile")
              for b in ("tightens", "eases", "reviews")]

    def insert(i: int, title: str) -> None:
        item = _item(i, title)
        insert_item(db, item, Classification(relevant=False, score=0.1), [], NOW,
                    story_keys=stories.story_keys(item.title_key, {}))

    def same_as_fresh() -> None:
        fresh = open_db(path)
        for t in titles:
            keys = stories.story_keys(title_key(t), {})
            assert story_candidates(db, keys, since) == story_candidates(fresh, keys, since)

    for i, t in enumerate(titles[:6]):
        insert(i, t)
    same_as_fresh()
    with pytest.raises(RuntimeError), transaction(db):
        insert(50, titles[7])
        raise RuntimeError("the poll fails: nothing of it is kept")
    for i, t in enumerate(titles[6:], start=100):  # may reuse the rolled-back rowid
        insert(i, t)
    same_as_fresh()
