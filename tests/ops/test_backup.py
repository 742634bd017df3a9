"""`monitor backup` while a real `monitor run` is writing: every copy is whole and consistent."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.store.ops import backup
from tests.fakes.feeds import FeedServer, rss
from tests.ops.conftest import env_for, monitor, start_run, wait_for

N = 600


def _count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def _alerts_per_item(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT i.id, COUNT(a.id) FROM items i LEFT JOIN alerts a"
                                 " ON a.item_id = i.id GROUP BY i.id").fetchall())


def _check(copy: Path) -> dict[str, int]:
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        orphans = conn.execute("SELECT COUNT(*) FROM alerts a LEFT JOIN items i"
                               " ON i.id = a.item_id WHERE i.id IS NULL").fetchone()[0]
        assert orphans == 0
    return _alerts_per_item(copy)


def test_backup_while_run_writes(tmp_path: Path, feed_server: FeedServer) -> None:
    now = datetime.now(UTC)
    items = [{"title": f"Notice {n}: export licence rules for batch {n}",
              "link": f"https://news.example.org/{n}", "guid": f"g{n}",
              "summary": f"Batch {n} of the licence notices.",
              "published": now - timedelta(minutes=n)} for n in range(N)]
    # One poll of one source is one transaction, so spread the items over many
    # sources, answering 50 ms apart: the run commits them in steps, over 1.5 s, that
    # the copies can land between (a whole poll now takes less than one copy).
    feeds = 30
    per = N // feeds
    sources = "".join(
        f"  - name: many{k}\n    url: "
        f"{feed_server.set(f'/many{k}.xml', rss(items[k * per:(k + 1) * per]), hang=0.05 * k)}"
        "\n" for k in range(feeds))
    (tmp_path / "monitor.yaml").write_text(
        f"database: {tmp_path / 'monitor.db'}\ndefaults: {{interval: 1h, timeout: 30s}}\n"
        'alerts: {channel: "#export-controls", pace: 0s}\n'
        'watch:\n  - name: licences\n    keywords: ["export licence"]\n    channel: "#lic"\n'
        f"sources:\n{sources}", encoding="utf-8")
    env = env_for(tmp_path, LOG_FORMAT="json")
    db = tmp_path / "monitor.db"
    run = start_run(env)
    copies: list[dict[str, int]] = []
    try:
        assert wait_for(lambda: _count(db, "items") > 0), run.lines
        cli = monitor("backup", str(tmp_path / "cli.db"), env=env)  # the command, mid-run
        assert cli.returncode == 0, cli.stderr
        copies.append(_check(tmp_path / "cli.db"))
        n = 0
        while _count(db, "items") < N and n < 2000:
            n += 1
            backup(db, tmp_path / "loop.db")
            copies.append(_check(tmp_path / "loop.db"))
        assert wait_for(lambda: _count(db, "items") == N)
    finally:
        _out, code = run.stop()
    assert code == 0
    final = _alerts_per_item(db)
    assert len(final) == N
    assert [c for c in copies if 0 < len(c) < N], "no copy was taken mid-write"
    sizes = [len(c) for c in copies]
    assert sizes == sorted(sizes)  # each copy a later state than the one before
    split = [(item, n, final.get(item)) for copy in copies for item, n in copy.items()
             if final.get(item) != n]
    # A copy is one committed state: an item and its outbox rows are one commit.
    assert not split, f"item committed apart from its alerts: {split[:3]}"
