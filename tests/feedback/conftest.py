"""Fixtures for feedback tests: a store with one delivered alert (with buttons), fake Slack
Web API and Socket Mode endpoint wired together, and a started listener."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alert.outbox import deliver_pending
from monitor.alert.sinks import Sinks
from monitor.alert.slack import SlackSink
from monitor.config import Config
from monitor.feedback.socket import FeedbackListener
from monitor.models import Classification, Item
from monitor.store import open_db
from monitor.store.items import AlertRequest, insert_item
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode, fake_socket_mode  # noqa: F401 (fixture)

NOW = datetime.now(UTC).replace(microsecond=0)
CHANNEL = "#export-controls"


def add_item(db_path: Path, n: int, *, relevant: bool = True, channels: tuple[str, ...] = (
        CHANNEL,), title: str | None = None, text: str = "MOFCOM announced new licences.",
             model_version: str | None = "0123456789ab") -> str:
    db = open_db(db_path)
    item = Item(id=f"item-{n}", source="wire", title=title or f"Export controls story {n}",
                summary=text, url=f"https://news.example.org/{n}",
                canonical_url=f"https://news.example.org/{n}", guid=f"g{n}",
                published=NOW - timedelta(hours=1), lang="en", title_key=f"key{n}")
    verdict = Classification(relevant=relevant, score=0.9 if relevant else 0.1,
                             topic=("new_restriction",) if relevant else (),
                             item=("rare_earths",) if relevant else (),
                             jurisdiction=("CN",) if relevant else (), why=("cue",))
    insert_item(db, item, verdict, [AlertRequest(c, "classifier") for c in channels], NOW,
                model_version=model_version)
    db.close()
    return item.id


def deliver(db_path: Path, slack: FakeSlack, feedback: bool = True) -> None:
    cfg = Config.model_validate({"database": str(db_path),
                                 "alerts": {"channel": CHANNEL, "pace": 0}})
    sink = SlackSink("xoxb-test", slack.url, feedback=feedback)
    deliver_pending(open_db(db_path), cfg, Sinks(slack=sink))


def as_payload_message(posted: dict[str, Any]) -> dict[str, Any]:
    """The `message` Slack puts in a block_actions payload for a message we posted."""
    return {"type": "message", "ts": posted["ts"], "text": posted["text"],
            "blocks": posted.get("blocks") or [], "user": "UBOT"}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.db"
    open_db(path).close()
    return path


@pytest.fixture
def wired(fake_slack: FakeSlack, fake_socket_mode: FakeSocketMode) -> FakeSlack:  # noqa: F811
    fake_slack.socket_url = lambda: fake_socket_mode.url
    return fake_slack


@pytest.fixture
def listener(db_path: Path, wired: FakeSlack) -> Iterator[FeedbackListener]:
    lst = FeedbackListener("xapp-test", "xoxb-test", str(db_path), api_url=wired.url,
                           ping_interval=1.0)
    lst.start()
    yield lst
    lst.stop()
