"""A small review database on a real file: items, alerts in each state, a failing source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.models import Classification, Item
from monitor.store import open_db
from monitor.store.corrections import record_correction
from monitor.store.items import AlertRequest, insert_item
from monitor.store.sources import ensure_source

NOW = datetime.now(UTC).replace(microsecond=0)


def _item(n: int, title: str) -> Item:
    return Item(id=f"i{n}", source="mofcom", title=title, url=f"https://x.org/{n}",
                canonical_url=f"https://x.org/{n}", title_key=f"k{n}")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.db"
    db = open_db(path)
    ensure_source(db, "mofcom", "https://x.org/feed", "feed")
    db.execute("UPDATE sources SET health = 'failing', consecutive_failures = 3,"
               " last_error = 'HTTP 503' WHERE name = 'mofcom'")
    hot = Classification(relevant=True, score=0.97, topic=("new_restriction",),
                         item=("rare_earths",), jurisdiction=("CN",), why=("'出口管制' in title",))
    insert_item(db, _item(1, "China adds rare earth technology to export control list"),
                hot, [AlertRequest("#export-controls", "classifier")], NOW, story_id="s1")
    insert_item(db, _item(2, "商务部公告：稀土技术出口管制"), hot,
                [AlertRequest("#export-controls", "classifier")], NOW + timedelta(minutes=1),
                story_id="s1")
    insert_item(db, _item(3, "Tariffs on steel rise"), Classification(relevant=False, score=0.4),
                [], NOW)
    db.execute("UPDATE alerts SET status = 'sent', ts = '1.1' WHERE item_id = 'i1'")
    db.execute("UPDATE alerts SET status = 'failed', last_error = 'channel_not_found'"
               " WHERE item_id = 'i2'")
    db.conn.commit()
    record_correction(path, "i3", relevant=False, note="tariffs only")
    return path
