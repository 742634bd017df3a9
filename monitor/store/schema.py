"""Versioned migrations.  Append new steps; never edit a released one."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

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


def _m004_story_index(db: sqlite_utils.Database) -> None:
    # Story linking looks up candidates by key (LSH bands of the title, announcement
    # numbers) instead of re-reading three days of titles per new item.  Keyed by
    # items.rowid, which grows with first_seen, so a lookup reads only the window.
    from datetime import UTC, datetime, timedelta

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
        [(k, rowid) for rowid, key, facts in rows for k in story_keys(key or "", facts or "{}")])


MIGRATIONS: list[Migration] = [_m001_initial, _m002_source_warnings, _m003_alert_log_view,
                               _m004_story_index]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply pending migrations in order; return the schema version."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, applied_at TEXT)"
    )
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    current = row[0] or 0
    if current > len(MIGRATIONS):
        from monitor.errors import StoreError

        raise StoreError(
            f"database schema version {current} is newer than this monitor ({len(MIGRATIONS)}); "
            "upgrade the monitor"
        )
    for version, step in enumerate(MIGRATIONS[current:], start=current + 1):
        with db.conn:
            step(db)
            db.execute(
                "INSERT INTO schema_migrations VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                [version],
            )
    return len(MIGRATIONS)
