"""The story-key index: which recent items a new headline is compared with.

Each item is stored with its story keys (`stories.story_keys`: LSH bands of the
title, announcement numbers) in `story_keys`.  A lookup takes the newest
KEY_POSTINGS items of each key and keeps the MAX_STORY_CANDIDATES that share
the most keys.

The writer keeps those newest postings in memory, per connection, for the keys
it has looked up: a lookup is then dictionary work plus one read of the
candidates' rows, where the SQL form (one compound SELECT over ~30 keys) cost
0.4 ms an item, a third of storing it.  The memory is filled from the table on
a miss, extended by every insert on the same connection, and dropped whenever a
transaction that may have written to it rolls back (`forget`) or items are deleted;
at most MAX_CACHED_KEYS keys are kept (least recently used go first).
"""

from __future__ import annotations

import heapq
import weakref
from collections import Counter, OrderedDict
from collections.abc import Sequence
from datetime import datetime

import sqlite_utils

from monitor.store.db import iso

# A story with hundreds of near-identical reports (a templated daily notice) would
# otherwise make each new one compare with all of them: keep the most similar.  The
# shared-band count ranks them by similarity (30 bands of 3: a title at trigram
# Jaccard J shares about 30·J³ bands), so the best match is among the first few.
MAX_STORY_CANDIDATES = 12
# Each key's postings are read newest first and at most this many: a crowded band
# (headlines built from one template) must not make a lookup read its whole history.
# A true twin shares several bands, so it is among the newest of one of them.
KEY_POSTINGS = 8
MAX_CACHED_KEYS = 100_000  # ~15 MB: a busy day's titles; older keys are read again

Candidate = tuple[str, str, str, str | None]  # item id, story id, title_key, facts JSON


class _Postings:
    def __init__(self) -> None:
        self.keys: OrderedDict[int, list[int]] = OrderedDict()  # key -> rowids, newest first
        self.window: tuple[str, int] | None = None  # (since, first rowid seen at/after it)


_MEMORY: weakref.WeakKeyDictionary[sqlite_utils.Database, _Postings] = (
    weakref.WeakKeyDictionary())


def _memory(db: sqlite_utils.Database) -> _Postings:
    mem = _MEMORY.get(db)
    if mem is None:
        mem = _MEMORY[db] = _Postings()
    return mem


def forget(db: sqlite_utils.Database) -> None:
    """Drop what this connection remembers (after a rollback or a delete of items)."""
    _MEMORY.pop(db, None)


def _window_start(db: sqlite_utils.Database, mem: _Postings, since: str) -> int | None:
    """rowid of the first item seen at or after `since` (items.rowid grows with
    first_seen).  Remembered for the second `since` names."""
    if mem.window is not None and mem.window[0] == since:
        return mem.window[1]
    row = db.execute("SELECT rowid FROM items WHERE first_seen >= ? ORDER BY first_seen"
                     " LIMIT 1", [since]).fetchone()
    if row is None:
        return None  # not remembered: the first item of the window may come any moment
    mem.window = (since, int(row[0]))
    return int(row[0])


def _load(db: sqlite_utils.Database, mem: _Postings, keys: Sequence[int]) -> None:
    """Read the newest KEY_POSTINGS rowids of each key not in memory (one statement)."""
    one = ("SELECT ? AS key, item_rowid FROM (SELECT item_rowid FROM story_keys WHERE key = ?"
           " ORDER BY item_rowid DESC LIMIT ?)")
    for start in range(0, len(keys), 200):  # under SQLite's compound-select limit (500)
        chunk = keys[start:start + 200]
        args: list[object] = []
        for key in chunk:
            args += [key, key, KEY_POSTINGS]
            mem.keys[key] = []
        for key, rowid in db.execute(" UNION ALL ".join([one] * len(chunk)), args).fetchall():
            mem.keys[int(key)].append(int(rowid))
    while len(mem.keys) > MAX_CACHED_KEYS:
        mem.keys.popitem(last=False)


def story_candidates(db: sqlite_utils.Database, keys: Sequence[int], since: datetime,
                     ) -> list[Candidate]:
    """(item id, story id, title_key, facts JSON) of items first seen after `since` that
    share a story key, oldest first: what `stories.assign_story` compares a new item with.

    At most MAX_STORY_CANDIDATES, those sharing the most keys (for LSH bands, the most
    similar titles), from the newest KEY_POSTINGS items of each key: the cost depends
    neither on the history nor on how crowded a key is.
    """
    if not keys:
        return []
    mem = _memory(db)
    since_iso = iso(since) or ""
    first = _window_start(db, mem, since_iso)
    if first is None:
        return []
    keys = list(dict.fromkeys(keys))
    memory = mem.keys
    missing = [k for k in keys if k not in memory]
    if missing:
        _load(db, mem, missing)
    shared: Counter[int] = Counter()
    for key in keys:
        postings = memory.get(key)
        if postings is None:
            continue  # evicted by this very load (more keys than the cap): skip it
        memory.move_to_end(key)
        # Newest first: when the oldest is in the window, all are (Counter counts a list in C).
        shared.update(postings if not postings or postings[-1] >= first
                      else [r for r in postings if r >= first])
    if not shared:
        return []
    best = [r for _count, r in heapq.nsmallest(
        MAX_STORY_CANDIDATES, ((-count, r) for r, count in shared.items()))]
    marks = ",".join("?" * len(best))
    rows = db.execute(
        f"SELECT id, story_id, title_key, facts FROM items WHERE rowid IN ({marks})"
        " AND first_seen >= ? ORDER BY first_seen, rowid", [*best, since_iso]).fetchall()
    return [(str(r[0]), str(r[1] or r[0]), str(r[2] or ""), r[3]) for r in rows]


def add_keys(db: sqlite_utils.Database, rowid: int, keys: Sequence[int]) -> None:
    """Index a new item under its keys (inside the caller's transaction)."""
    if not keys:
        return
    db.conn.executemany("INSERT OR IGNORE INTO story_keys (key, item_rowid) VALUES (?, ?)",
                        [(k, rowid) for k in keys])
    mem = _MEMORY.get(db)
    if mem is None:
        return
    for key in keys:
        postings = mem.keys.get(key)
        if postings is not None and rowid not in postings:
            # Keys not in memory are read from the table (which has this row) when asked.
            postings.insert(0, rowid)
            del postings[KEY_POSTINGS:]
