"""defaults.retention: old items go, unless an open alert or a correction still needs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import retention
from monitor.config import Config, Defaults
from monitor.models import Classification, Item
from monitor.store import iso, open_db
from monitor.store.corrections import record_correction
from monitor.store.items import AlertRequest, insert_item
from monitor.store.outbox import enqueue_ops

NOW = datetime(2026, 6, 1, tzinfo=UTC)
OLD = NOW - timedelta(days=400)


def _item(n: int) -> Item:
    return Item(id=f"i{n}", source="wire", title=f"title {n}", url=f"https://x.org/{n}",
                canonical_url=f"https://x.org/{n}", title_key=f"k{n}", guid=f"g{n}")


def test_prune_keeps_what_is_still_needed(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    db = open_db(path)
    hot = Classification(relevant=True, score=0.9)
    for n, when, status in [(1, OLD, "sent"), (2, OLD, "pending"), (3, OLD, "digest"),
                            (4, OLD, None), (5, NOW - timedelta(days=3), "sent"),
                            (6, OLD, "failed")]:
        insert_item(db, _item(n), hot, [AlertRequest("#ec", "classifier")] if status else [],
                    when)
        if status:
            db.execute("UPDATE alerts SET status = ? WHERE item_id = ?", [status, f"i{n}"])
    db.conn.commit()
    record_correction(path, "i4", relevant=False, note="not export control")
    enqueue_ops(db, "#ops", "old notice", OLD)
    db.execute("UPDATE alerts SET status = 'sent' WHERE kind = 'ops'")
    enqueue_ops(db, "#ops", "old but still pending", OLD)
    db.conn.commit()

    cfg = Config(database=str(path), defaults=Defaults(retention=365 * 86400))
    assert retention.prune_if_due(db, cfg, NOW) == (2, 3)  # i1, i6 + their alerts + 1 ops
    left = {r[0] for r in db.execute("SELECT id FROM items")}
    assert left == {"i2", "i3", "i4", "i5"}
    assert db.execute("SELECT COUNT(*) FROM item_sources WHERE item_id IN ('i1', 'i6')"
                      ).fetchone()[0] == 0
    assert [r[0] for r in db.execute("SELECT payload FROM alerts WHERE kind = 'ops'")] == [
        '{"text": "old but still pending"}']
    assert retention.prune_if_due(db, cfg, NOW) is None  # at most every PRUNE_EVERY
    assert retention.prune_now(db, cfg, NOW) == (0, 0)


def test_no_retention_keeps_everything(tmp_path: Path) -> None:
    db = open_db(tmp_path / "monitor.db")
    insert_item(db, _item(1), Classification(relevant=False, score=0.1), [], OLD)
    cfg = Config(database=str(tmp_path / "monitor.db"))
    assert retention.prune_if_due(db, cfg, NOW) is None
    assert db.execute("SELECT first_seen FROM items").fetchone()[0] == iso(OLD)
