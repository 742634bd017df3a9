"""Versioned migrations.  Append new steps; never edit a released one."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from monitor.errors import StoreError
from monitor.store.tx import transaction

Migration = Callable[[sqlite_utils.Database], None]


def _m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS sources (
            name TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'feed',
            etag TEXT,
            last_modified TEXT,
            first_success TEXT,          -- first successful poll: ends the backlog window
            last_polled TEXT,
            last_success TEXT,
            last_error TEXT,
            last_error_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            items_seen INTEGER NOT NULL DEFAULT 0,
            last_new_item TEXT,
            next_poll_after TEXT,         -- backoff / Retry-After: do not poll before
            health TEXT NOT NULL DEFAULT 'new',   -- new | ok | failing | silent
            ops_alerted TEXT              -- which unhealthy state was announced, if any
        );
        CREATE TABLE IF NOT EXISTS items (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            guid TEXT,
            url TEXT,
            canonical_url TEXT,
            title TEXT NOT NULL,
            title_key TEXT,
            summary TEXT,
            lang TEXT,
            published TEXT,
            first_seen TEXT NOT NULL,
            relevant INTEGER NOT NULL DEFAULT 0,
            score REAL NOT NULL DEFAULT 0,
            topic TEXT NOT NULL DEFAULT '[]',
            item TEXT NOT NULL DEFAULT '[]',
            jurisdiction TEXT NOT NULL DEFAULT '[]',
            why TEXT NOT NULL DEFAULT '[]',
            facts TEXT NOT NULL DEFAULT '{}',
            story_id TEXT,
            model_version TEXT
        );
        CREATE INDEX IF NOT EXISTS items_canonical ON items(canonical_url);
        CREATE INDEX IF NOT EXISTS items_title_key ON items(title_key);
        CREATE INDEX IF NOT EXISTS items_first_seen ON items(first_seen);
        CREATE INDEX IF NOT EXISTS items_story ON items(story_id);
        -- every (source, guid) that delivered an item: syndication and GUID history
        CREATE TABLE IF NOT EXISTS item_sources (
            item_id TEXT NOT NULL REFERENCES items(id),
            source TEXT NOT NULL,
            guid TEXT,
            url TEXT,
            first_seen TEXT NOT NULL,
            PRIMARY KEY (item_id, source)
        );
        CREATE INDEX IF NOT EXISTS item_sources_guid ON item_sources(source, guid);
        CREATE TABLE IF NOT EXISTS alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id TEXT REFERENCES items(id),   -- NULL for ops and digest messages
            channel TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed | digest
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            ts TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            kind TEXT NOT NULL DEFAULT 'item',    -- item | ops | digest
            payload TEXT,                         -- JSON for ops/digest messages
            target TEXT NOT NULL DEFAULT 'slack', -- slack | console | an apprise URL
            channel_id TEXT,
            thread_ts TEXT,
            story_id TEXT,
            next_attempt_at TEXT,
            attempt_started_at TEXT               -- set before a post: outcome unknown if still set
        );
        CREATE UNIQUE INDEX IF NOT EXISTS alerts_once
            ON alerts(item_id, channel, target) WHERE item_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS alerts_status ON alerts(status, channel, id);
        CREATE TABLE IF NOT EXISTS corrections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id TEXT NOT NULL,
            relevant INTEGER NOT NULL,
            topic TEXT,          -- JSON list or NULL (= keep the model's)
            item TEXT,
            jurisdiction TEXT,
            note TEXT,
            created_at TEXT NOT NULL
        );
        """
    )


def _m002_source_warnings(db: sqlite_utils.Database) -> None:
    # Warnings (charset fallback, bozo feed) are not failures: keep them apart from
    # last_error, and remember when a failing streak began for the ops alert.
    db.executescript(
        """
        ALTER TABLE sources ADD COLUMN last_warning TEXT;
        ALTER TABLE sources ADD COLUMN failing_since TEXT;
        """
    )


def _m003_alert_log_view(db: sqlite_utils.Database) -> None:
    # Analysts review alerts in SQL tools (Datasette, sqlite3, a spreadsheet export):
    # one flat row per delivered-or-pending item alert, no joins to remember.
    db.executescript(
        """
        CREATE VIEW IF NOT EXISTS alert_log AS
        SELECT a.id AS alert_id, a.created_at, a.status, a.channel, a.target, a.reason,
               a.attempts, a.last_error, a.ts AS slack_ts, a.thread_ts, a.sent_at,
               i.id AS item_id, i.source, i.title, i.url, i.lang, i.published,
               i.relevant, i.score, i.topic, i.item, i.jurisdiction, i.why, i.facts,
               i.story_id, i.model_version
        FROM alerts a JOIN items i ON i.id = a.item_id
        WHERE a.kind = 'item';
        """
    )


def _trigram_available(db: sqlite_utils.Database) -> bool:
    try:
        db.execute("CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize='trigram')")
    except Exception:  # sqlite3.OperationalError: SQLite before 3.34 or without FTS5
        return False
    db.execute("DROP TABLE temp.trigram_probe")
    return True


def _m004_items_search(db: sqlite_utils.Database) -> None:
    # Full-text search over title and summary.  The trigram tokenizer indexes every
    # 3-character substring, so Chinese and Japanese (no spaces) work like English.
    # External content on items.rowid is what Datasette's search box joins on; the
    # triggers keep the index in step with every insert, edit and delete.  Without
    # trigram support (SQLite < 3.34) there is no index and search falls back to LIKE.
    if not _trigram_available(db):
        return
    db.executescript(
        """
        CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(
            title, summary, content='items', content_rowid='rowid', tokenize='trigram');
        CREATE TRIGGER IF NOT EXISTS items_fts_insert AFTER INSERT ON items BEGIN
            INSERT INTO items_fts(rowid, title, summary)
            VALUES (new.rowid, new.title, COALESCE(new.summary, ''));
        END;
        CREATE TRIGGER IF NOT EXISTS items_fts_delete AFTER DELETE ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, COALESCE(old.summary, ''));
        END;
        CREATE TRIGGER IF NOT EXISTS items_fts_update AFTER UPDATE OF title, summary ON items
        BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, COALESCE(old.summary, ''));
            INSERT INTO items_fts(rowid, title, summary)
            VALUES (new.rowid, new.title, COALESCE(new.summary, ''));
        END;
        INSERT INTO items_fts(items_fts) VALUES ('rebuild');
        """
    )


def _m005_scheduled_reports(db: sqlite_utils.Database) -> None:
    # One row per scheduled report (channel x period): posted once, retried a few times.
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS reports (
            channel TEXT NOT NULL,
            period TEXT NOT NULL,          -- the scheduled moment, UTC ISO-8601
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            ts TEXT,                       -- the summary message's Slack ts
            channel_id TEXT,
            posted_at TEXT,
            PRIMARY KEY (channel, period)
        );
        """
    )


def _m006_delivery_claims(db: sqlite_utils.Database) -> None:
    # A writer claims an alert row before posting it, so two writers (or a
    # writer racing a stale one) never post the same alert twice.
    db.executescript(
        """
        ALTER TABLE alerts ADD COLUMN claimed_by TEXT;
        ALTER TABLE alerts ADD COLUMN claimed_at TEXT;
        """
    )


def _m007_apprise_targets_by_reference(db: sqlite_utils.Database) -> None:
    # Apprise URLs carry credentials: alerts name their target by hash instead, and
    # delivery looks the URL up in the config (monitor.secrets).
    from monitor.secrets import is_ref, target_ref

    for (target,) in db.execute("SELECT DISTINCT target FROM alerts").fetchall():
        if target not in ("slack", "console") and not is_ref(str(target)):
            db.execute("UPDATE alerts SET target = ? WHERE target = ?",
                       [target_ref(str(target)), target])
            db.execute("UPDATE alerts SET reason = replace(reason, ?, ?)"
                       " WHERE kind = 'ops' AND instr(reason, ?) > 0",
                       [target, target_ref(str(target)), target])


def _m008_feedback(db: sqlite_utils.Database) -> None:
    # Slack feedback (issue 17): who marked an item, once per user and item (a later
    # click replaces the earlier row); envelopes seen, so a redelivery records once;
    # the classifier versions retraining produced, with the scores that let them in.
    db.executescript(
        """
        ALTER TABLE corrections ADD COLUMN slack_user TEXT;       -- Slack user ID (U…)
        ALTER TABLE corrections ADD COLUMN slack_user_name TEXT;  -- their handle, for reading
        ALTER TABLE corrections ADD COLUMN origin TEXT NOT NULL DEFAULT 'cli';  -- cli | slack
        ALTER TABLE corrections ADD COLUMN channel_id TEXT;
        ALTER TABLE corrections ADD COLUMN message_ts TEXT;
        CREATE UNIQUE INDEX IF NOT EXISTS corrections_per_user
            ON corrections(item_id, slack_user) WHERE slack_user IS NOT NULL;
        CREATE INDEX IF NOT EXISTS corrections_item ON corrections(item_id, id);
        CREATE INDEX IF NOT EXISTS corrections_created ON corrections(created_at);
        CREATE TABLE IF NOT EXISTS feedback_envelopes (
            envelope_id TEXT PRIMARY KEY,
            received_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS model_versions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            version TEXT NOT NULL UNIQUE,     -- sha256[:12] of the artifact = items.model_version
            path TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL,             -- active | retired | rejected
            corrections INTEGER NOT NULL DEFAULT 0,   -- corrections it was trained with
            dev_f1 REAL,                      -- relevance F1 on ../shared/eval/dev.jsonl
            heldout_accuracy REAL,            -- agreement with held-out corrections
            heldout_n INTEGER,
            note TEXT,
            activated_at TEXT
        );
        CREATE TABLE IF NOT EXISTS retrain_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            version TEXT,                     -- the candidate, NULL when training failed
            accepted INTEGER NOT NULL DEFAULT 0,
            reason TEXT
        );
        """
    )


def _m009_story_index(db: sqlite_utils.Database) -> None:
    # Story linking looks up candidates by key (LSH bands of the title, announcement
    # numbers) instead of re-reading three days of titles per new item.  Keyed by
    # items.rowid, which grows with first_seen, so a lookup reads only the window.
    from datetime import UTC, datetime, timedelta

    from monitor.store.items import decode_facts
    from monitor.stories import story_keys

    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS story_keys (
            key INTEGER NOT NULL,
            item_rowid INTEGER NOT NULL,
            PRIMARY KEY (key, item_rowid)
        ) WITHOUT ROWID;
        -- Delivery looks up each alert's thread parent (same story, channel, target) and
        -- whether that parent went out inside a digest: without these, both scanned the
        -- outbox for every alert, and delivering a big poll was quadratic.
        CREATE INDEX IF NOT EXISTS alerts_story ON alerts(story_id, channel, target, id);
        CREATE INDEX IF NOT EXISTS alerts_digest_ts ON alerts(channel, target, ts)
            WHERE kind = 'digest';
        """
    )
    # Items of the current linking window (3 days, with a margin) get their keys now,
    # so an upgrade does not break the stories in progress.
    since = (datetime.now(UTC) - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = db.execute("SELECT rowid, title_key, facts FROM items WHERE first_seen >= ?",
                      [since]).fetchall()
    db.conn.executemany(
        "INSERT OR IGNORE INTO story_keys (key, item_rowid) VALUES (?, ?)",
        [(k, rowid) for rowid, key, facts in rows
         for k in story_keys(key or "", decode_facts(facts))])


def _m010_search_backlog(db: sqlite_utils.Database) -> None:
    # New items wait in search_backlog and join the index in bulk (store/search.py:
    # index_backlog, after each poll cycle): indexing each row from a trigger was a
    # third of ingest time, and one bulk insert costs a third of that per row.
    # Search also reads the backlog, so nothing stored is ever unsearchable.
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'items_fts'").fetchone() is None:
        return
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS search_backlog (item_rowid INTEGER PRIMARY KEY);
        DROP TRIGGER IF EXISTS items_fts_insert;
        DROP TRIGGER IF EXISTS items_fts_delete;
        DROP TRIGGER IF EXISTS items_fts_update;
        CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
            INSERT OR IGNORE INTO search_backlog VALUES (new.rowid);
        END;
        -- Only indexed rows are in the index: deleting one that is not would corrupt it.
        CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, summary)
            SELECT 'delete', old.rowid, old.title, COALESCE(old.summary, '')
            WHERE NOT EXISTS (SELECT 1 FROM search_backlog WHERE item_rowid = old.rowid);
            DELETE FROM search_backlog WHERE item_rowid = old.rowid;
        END;
        CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items
        WHEN NOT EXISTS (SELECT 1 FROM search_backlog WHERE item_rowid = old.rowid) BEGIN
            INSERT INTO items_fts(items_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, COALESCE(old.summary, ''));
            INSERT INTO items_fts(rowid, title, summary)
            VALUES (new.rowid, new.title, COALESCE(new.summary, ''));
        END;
        """
    )


MIGRATIONS: list[Migration] = [
    _m001_initial, _m002_source_warnings, _m003_alert_log_view,
    _m004_items_search, _m005_scheduled_reports, _m006_delivery_claims,
    _m007_apprise_targets_by_reference, _m008_feedback, _m009_story_index,
    _m010_search_backlog,
]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply pending migrations in order; return the schema version.

    Each step and its version row commit together (`transaction`: BEGIN
    IMMEDIATE, so two processes opening a fresh database cannot both run a
    step); a step that fails leaves the schema as it was before it.  The
    version is re-read inside the transaction for the same reason.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, applied_at TEXT)"
    )
    current = _version(db)
    if current > len(MIGRATIONS):

        raise StoreError(
            f"database schema version {current} is newer than this monitor ({len(MIGRATIONS)}); "
            "upgrade the monitor"
        )
    for version, step in enumerate(MIGRATIONS[current:], start=current + 1):
        with transaction(db):
            if _version(db) >= version:
                continue  # another process applied it meanwhile
            step(db)
            db.execute(
                "INSERT INTO schema_migrations VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                [version],
            )
    return len(MIGRATIONS)


def _version(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)
