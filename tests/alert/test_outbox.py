"""Exactly-once delivery from the outbox against the loopback fake Slack."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from monitor.alert import deliver_pending, targets_for
from monitor.alert.outbox import ATTEMPT_BATCH
from monitor.alert.sinks import Sinks
from monitor.alert.slack import SlackSink
from monitor.config import ChannelConfig
from monitor.models import Classification, Item
from monitor.store import outbox as outbox_store
from monitor.store.items import AlertRequest, insert_item
from monitor.store.tx import db_path
from tests.alert.conftest import Clock, add_item, config, statuses
from tests.fakes.feeds import FeedServer
from tests.fakes.slack import FakeSlack


def sinks(fake: FakeSlack) -> Sinks:
    return Sinks(slack=SlackSink("xoxb-test", fake.url))


def alert_ids(messages: list[dict[str, object]]) -> list[int]:
    return [int(m["metadata"]["event_payload"]["alert_id"])  # type: ignore[index]
            for m in messages]


def _drain(db: sqlite_utils.Database, fake: FakeSlack, clock: Clock, cfg: object) -> None:
    for _ in range(300):
        deliver_pending(db, cfg, sinks(fake), now=clock, sleep=clock.sleep)  # type: ignore[arg-type]
        if all(s == "sent" for _c, s in statuses(db)):
            return
        clock.advance(5)


def test_hundred_alerts_through_429_burst_and_outage_arrive_once_in_order(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    for n in range(50):
        add_item(db, n, ["#export-controls", "#rare-earths"])
    cfg = config(pace=1)
    fake_slack.clock = lambda: clock.now.timestamp()  # outage and ts run on the test's clock
    fake_slack.rate_limits, fake_slack.retry_after = 40, 1
    _drain(db, fake_slack, clock, cfg)
    assert fake_slack.rate_limits == 0
    # The same again, with a 30-second outage and replies lost after Slack accepted.
    for n in range(50, 100):
        add_item(db, n, ["#export-controls", "#rare-earths"], now=clock.now)
    fake_slack.outage(30)
    fake_slack.drop_after_accept = 3
    _drain(db, fake_slack, clock, cfg)
    assert fake_slack.drop_after_accept == 0 and fake_slack.count("conversations.history") >= 3
    assert fake_slack.count("chat.postMessage") >= 200 + 40 + 2  # 429s and 503s were served
    assert all(s == "sent" for _c, s in statuses(db))
    for channel in ("#export-controls", "#rare-earths"):
        ids = alert_ids(fake_slack.messages(channel))
        assert len(ids) == 100 and len(set(ids)) == 100
        assert ids == sorted(ids)


def test_pacing_spaces_posts_per_channel(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    for n in range(5):
        add_item(db, n, ["#a"])
    slept: list[float] = []
    deliver_pending(db, config(pace=1), sinks(fake_slack), now=clock, sleep=slept.append)
    assert len(fake_slack.messages("#a")) == 5
    assert len(slept) == 4 and all(0 < s <= 1 for s in slept)


def test_permanent_error_one_failed_row_one_ops_alert(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#gone", "#export-controls"])
    fake_slack.channel_errors["#gone"] = "channel_not_found"
    deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    rows = list(db.query("SELECT channel, status, last_error, kind FROM alerts ORDER BY id"))
    assert [(r["channel"], r["status"]) for r in rows] == [
        ("#gone", "failed"), ("#export-controls", "sent"), ("#ops", "sent")]
    assert "channel_not_found" in rows[0]["last_error"]
    (ops,) = fake_slack.messages("#ops")
    assert "#gone" in ops["text"] and "invite the bot" in ops["text"]
    deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    assert len(fake_slack.messages("#ops")) == 1


def test_bad_token_keeps_alerts_pending(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#export-controls"])
    add_item(db, 2, ["#export-controls"])
    bad = Sinks(slack=SlackSink("xoxp-wrong", fake_slack.url))
    report = deliver_pending(db, config(), bad, now=clock, sleep=clock.sleep)
    assert report.sent == 0
    assert [s for c, s in statuses(db) if c == "#export-controls"] == ["pending", "pending"]
    deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    assert len(fake_slack.messages("#export-controls")) == 2


def test_attempt_marks_are_committed_in_batches_before_each_post(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(100):
        add_item(db, n, ["#export-controls"])
    commits: list[int] = []
    record = outbox_store.record_posts
    monkeypatch.setattr(outbox_store, "record_posts",
                        lambda *a, **k: (commits.append(1), record(*a, **k))[1])
    # Each post finds its own attempt mark already committed (read on another connection).
    watcher = sqlite3.connect(db_path(db), check_same_thread=False)  # the server's thread
    unmarked: list[int] = []

    def check(message: dict[str, object]) -> None:
        alert_id = alert_ids([message])[0]
        row = watcher.execute("SELECT attempt_started_at FROM alerts WHERE id = ?",
                              [alert_id]).fetchone()
        if not row[0]:
            unmarked.append(alert_id)

    fake_slack.on_accept = check
    report = deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    assert report.sent == 100 and unmarked == []
    assert len(commits) <= 100 // ATTEMPT_BATCH + 2  # not one commit per post


def test_marks_made_ahead_are_given_back_when_the_posts_never_happen(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    for n in range(5):
        add_item(db, n, ["#export-controls"])
    bad = Sinks(slack=SlackSink("xoxp-wrong", fake_slack.url))  # stops at the first post
    deliver_pending(db, config(), bad, now=clock, sleep=clock.sleep)
    rows = db.execute("SELECT attempts, attempt_started_at FROM alerts WHERE kind = 'item'"
                      ).fetchall()
    assert rows == [(0, None)] * 5  # no attempt counted, nothing to read back
    deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    assert fake_slack.count("conversations.history") == 0
    assert len(fake_slack.messages("#export-controls")) == 5


def test_story_gets_one_top_level_message_and_replies(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    for n in range(3):
        add_item(db, n, ["#export-controls"], story="item-0")
    deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    msgs = fake_slack.messages("#export-controls")
    top = [m for m in msgs if not m.get("thread_ts")]
    replies = [m for m in msgs if m.get("thread_ts")]
    assert len(top) == 1 and len(replies) == 2
    assert {r["thread_ts"] for r in replies} == {top[0]["ts"]}


def test_reply_waits_for_its_parent(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 0, ["#export-controls"], story="s")
    add_item(db, 1, ["#export-controls"], story="s")
    fake_slack.server_errors = 1
    deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    assert fake_slack.messages() == []  # the parent failed, the reply did not go top-level
    clock.advance(60)
    deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    top = fake_slack.top_level("#export-controls")
    assert len(top) == 1 and len(fake_slack.messages()) == 2


def test_invalid_blocks_falls_back_to_text(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#export-controls"])
    fake_slack.reject_blocks = True
    deliver_pending(db, config(), sinks(fake_slack), now=clock, sleep=clock.sleep)
    (msg,) = fake_slack.messages()
    assert "blocks" not in msg and "Export controls story 1" in msg["text"]


def test_gives_up_after_max_attempts_with_one_ops_alert(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#flaky"])
    fake_slack.channel_errors["#flaky"] = "internal_error"  # not permanent, never succeeds
    cfg = config(max_attempts=3)
    for _ in range(10):
        deliver_pending(db, cfg, sinks(fake_slack), now=clock, sleep=clock.sleep)
        clock.advance(3600)
    row = next(db.query("SELECT status, attempts, last_error FROM alerts WHERE channel='#flaky'"))
    assert row["status"] == "failed" and row["attempts"] == 3
    assert len(fake_slack.messages("#ops")) == 1


def test_daily_digest_collects_low_score_items_into_one_message(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    cfg = config().model_copy(update={"channels": {
        "#rare-earths": ChannelConfig(digest="daily", digest_time="08:00", timezone="UTC")}})
    add_item(db, 1, ["#rare-earths"], score=0.95)  # high score: posted at once
    for n in range(2, 5):
        add_item(db, n, ["#rare-earths"], score=0.1, relevant=False, reason="watch:re")
    deliver_pending(db, cfg, sinks(fake_slack), now=clock, sleep=clock.sleep)  # 06:00
    assert len(fake_slack.messages("#rare-earths")) == 1
    assert [s for _c, s in statuses(db)] == ["sent", "digest", "digest", "digest"]
    clock.advance(2.5 * 3600)  # 08:30: the digest is due
    deliver_pending(db, cfg, sinks(fake_slack), now=clock, sleep=clock.sleep)
    deliver_pending(db, cfg, sinks(fake_slack), now=clock, sleep=clock.sleep)
    msgs = fake_slack.messages("#rare-earths")
    assert len(msgs) == 2
    digest = msgs[1]["text"]
    assert "3 lower-priority matches" in digest
    assert all(f"Export controls story {n}" in digest for n in range(2, 5))
    rows = list(db.query("SELECT status, ts FROM alerts WHERE kind = 'item' ORDER BY id"))
    assert all(r["status"] == "sent" for r in rows)
    assert {r["ts"] for r in rows[1:]} == {msgs[1]["ts"]}


def test_apprise_target_gets_the_same_alert_once(
        db: sqlite_utils.Database, fake_slack: FakeSlack, feed_server: FeedServer,
        clock: Clock) -> None:
    hook = feed_server.url("/hook").replace("http://", "json://")
    cfg = config().model_copy(update={"channels": {
        "#export-controls": ChannelConfig(targets=[hook])}})
    item = Item(id="x1", source="wire", title="China adds export controls on graphite",
                url="https://n.example/g", published=clock.now)
    verdict = Classification(relevant=True, score=0.9)
    requests = [AlertRequest("#export-controls", "classifier", t)
                for t in targets_for(cfg, "#export-controls")]
    insert_item(db, item, verdict, requests, clock.now)
    for _ in range(2):
        deliver_pending(db, cfg, sinks(fake_slack), now=clock, sleep=clock.sleep)
    assert len(fake_slack.messages("#export-controls")) == 1
    posts = [h for p, h in feed_server.requests if p == "/hook"]
    assert len(posts) == 1
    assert [s for _c, s in statuses(db)] == ["sent", "sent"]
