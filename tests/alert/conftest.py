"""Helpers for delivery tests: a store with items and pending alerts, an injected clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from monitor.config import Config
from monitor.models import Classification, Item
from monitor.store import open_db
from monitor.store.items import AlertRequest, insert_item

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "monitor.db")


def config(**alerts: object) -> Config:
    base: dict[str, object] = {"channel": "#export-controls", "pace": 0, "ops_channel": "#ops",
                               "retry_backoff": 10}
    base.update(alerts)
    return Config.model_validate({"alerts": base})


def add_item(db: sqlite_utils.Database, n: int, channels: list[str], *, score: float = 0.9,
             relevant: bool = True, story: str | None = None, title: str | None = None,
             reason: str = "classifier", now: datetime = T0) -> str:
    item = Item(id=f"item-{n}", source="wire", title=title or f"Export controls story {n}",
                summary="MOFCOM announced new licence requirements.",
                url=f"https://news.example.org/{n}", canonical_url=f"https://news.example.org/{n}",
                guid=f"g{n}", published=now - timedelta(hours=1), lang="en",
                title_key=f"key{n}")
    verdict = Classification(relevant=relevant, score=score,
                             topic=("new_restriction",) if relevant else (),
                             item=("rare_earths",) if relevant else (),
                             jurisdiction=("CN",) if relevant else (),
                             why=("'export control' in title",),
                             facts={"announcements": ["MOFCOM 2025 No. 61"]})
    insert_item(db, item, verdict, [AlertRequest(c, reason) for c in channels], now,
                story_id=story)
    return item.id


def statuses(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in db.execute(
        "SELECT channel, status FROM alerts ORDER BY id").fetchall()]
