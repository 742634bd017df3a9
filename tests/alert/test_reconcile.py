"""Lost replies, unreadable history, payload rejections and other edges of exactly-once."""

from __future__ import annotations

import sqlite_utils

from monitor.alert import deliver_pending
from monitor.alert.sinks import Sinks
from monitor.alert.slack import SlackSink
from monitor.config import ChannelConfig, Config
from tests.alert.conftest import Clock, add_item, config, statuses
from tests.fakes.feeds import FeedServer
from tests.fakes.slack import FakeSlack


def run(db: sqlite_utils.Database, fake: FakeSlack, clock: Clock,
        cfg: Config | None = None) -> None:
    deliver_pending(db, cfg or config(), Sinks(slack=SlackSink("xoxb-test", fake.url)),
                    now=clock, sleep=clock.sleep)


def synced(fake: FakeSlack, clock: Clock) -> FakeSlack:
    """Slack's ts follow the injected clock, as they follow real time in production."""
    fake.clock = lambda: clock.now.timestamp()
    return fake


def row(db: sqlite_utils.Database, alert_id: int) -> dict[str, object]:
    return next(db.query("SELECT * FROM alerts WHERE id = ?", [alert_id]))


def test_lost_reply_is_recovered_from_history_not_reposted(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    synced(fake_slack, clock)
    add_item(db, 1, ["#export-controls"])
    add_item(db, 2, ["#export-controls"])
    fake_slack.drop_after_accept = 1
    run(db, fake_slack, clock)
    assert len(fake_slack.messages()) == 1  # posted, but we never heard back
    assert row(db, 1)["status"] == "pending" and row(db, 1)["attempt_started_at"]
    assert row(db, 2)["status"] == "pending"  # order kept: #2 waits behind #1
    clock.advance(60)
    run(db, fake_slack, clock)
    first, second = fake_slack.messages()
    assert row(db, 1)["status"] == "sent" and row(db, 1)["ts"] == first["ts"]
    assert row(db, 2)["ts"] == second["ts"]
    assert fake_slack.count("conversations.history") == 1


def test_lost_thread_reply_is_found_in_its_thread(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    synced(fake_slack, clock)
    add_item(db, 0, ["#export-controls"], story="s")
    run(db, fake_slack, clock)
    add_item(db, 1, ["#export-controls"], story="s")
    fake_slack.drop_after_accept = 1
    run(db, fake_slack, clock)
    clock.advance(60)
    run(db, fake_slack, clock)
    parent, reply = fake_slack.messages()
    assert reply["thread_ts"] == parent["ts"]
    assert row(db, 2)["ts"] == reply["ts"] and row(db, 2)["thread_ts"] == parent["ts"]
    assert fake_slack.count("conversations.replies") == 1


def test_unreadable_history_waits_instead_of_guessing(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    synced(fake_slack, clock)
    add_item(db, 1, ["#export-controls"])
    fake_slack.drop_after_accept = 1
    run(db, fake_slack, clock)
    fake_slack.history_errors = 1
    clock.advance(60)
    run(db, fake_slack, clock)
    assert len(fake_slack.messages()) == 1 and row(db, 1)["status"] == "pending"
    clock.advance(60)
    run(db, fake_slack, clock)
    assert len(fake_slack.messages()) == 1 and row(db, 1)["status"] == "sent"


def test_rate_limits_do_not_use_up_attempts(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#export-controls"])
    fake_slack.rate_limits, fake_slack.retry_after = 20, 1
    cfg = config(max_attempts=2)
    for _ in range(6):
        run(db, fake_slack, clock, cfg)
        clock.advance(10)
    assert statuses(db) == [("#export-controls", "sent")]
    assert row(db, 1)["attempts"] == 1


def test_msg_too_long_is_resent_shortened(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#export-controls"], title="Export controls " + "tightened " * 60)
    fake_slack.max_text = 1000
    db.execute("UPDATE items SET why = ?", ['["' + "matched 'export control' " * 40 + '"]'])
    db.conn.commit()
    run(db, fake_slack, clock)
    (msg,) = fake_slack.messages()
    assert len(msg["text"]) <= 1000 and msg["text"].startswith("<https://news.example.org/1|")
    assert msg["blocks"] and row(db, 1)["status"] == "sent"


def test_hostile_headline_arrives_escaped(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#export-controls"], title="<!channel> & <https://x|y>")
    run(db, fake_slack, clock)
    (msg,) = fake_slack.messages()
    assert "&lt;!channel&gt; &amp; &lt;https://x|y&gt;" in msg["text"]
    mrkdwn = [msg["text"]] + [str(b) for b in msg["blocks"] if b["type"] != "header"]
    assert not any(bad in m for m in mrkdwn for bad in ("<!channel>", "<https://x|"))


def test_failing_ops_channel_raises_no_ops_alert_about_itself(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    add_item(db, 1, ["#ops", "#a"])
    fake_slack.channel_errors["#ops"] = "is_archived"
    run(db, fake_slack, clock)
    run(db, fake_slack, clock)
    assert statuses(db) == [("#ops", "failed"), ("#a", "sent")]
    assert db.execute("SELECT COUNT(*) FROM alerts WHERE kind = 'ops'").fetchone()[0] == 0


def _digest_cfg(**channel: object) -> Config:
    return config().model_copy(update={"channels": {"#re": ChannelConfig(
        digest="daily", digest_time="08:00", digest_below=0.5, **channel)}})  # type: ignore[arg-type]


def test_lost_digest_reply_still_marks_its_rows(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    synced(fake_slack, clock)
    cfg = _digest_cfg()
    for n in range(2):
        add_item(db, n, ["#re"], score=0.2)
    clock.advance(3 * 3600)  # 09:00
    fake_slack.drop_after_accept = 1
    run(db, fake_slack, clock, cfg)
    clock.advance(600)
    run(db, fake_slack, clock, cfg)
    (digest,) = fake_slack.messages("#re")
    items = list(db.query("SELECT status, ts FROM alerts WHERE kind = 'item'"))
    assert items == [{"status": "sent", "ts": digest["ts"]}] * 2
    clock.advance(86400)
    run(db, fake_slack, clock, cfg)
    assert len(fake_slack.messages("#re")) == 1  # nothing left for tomorrow's digest


def test_story_never_threads_under_a_digest(
        db: sqlite_utils.Database, fake_slack: FakeSlack, clock: Clock) -> None:
    cfg = _digest_cfg()
    add_item(db, 1, ["#re"], score=0.2, story="s")
    clock.advance(3 * 3600)
    run(db, fake_slack, clock, cfg)  # the digest goes out, carrying item 1
    add_item(db, 2, ["#re"], score=0.9, story="s", now=clock.now)
    add_item(db, 3, ["#re"], score=0.9, story="s", now=clock.now)
    run(db, fake_slack, clock, cfg)
    digest, top, reply = fake_slack.messages("#re")
    assert "Daily digest" in digest["text"]
    assert not top.get("thread_ts") and reply["thread_ts"] == top["ts"]


def test_apprise_copies_of_a_digest_channel_get_their_own_digest(
        db: sqlite_utils.Database, fake_slack: FakeSlack, feed_server: FeedServer,
        clock: Clock) -> None:
    hook = feed_server.url("/hook").replace("http://", "json://")
    cfg = _digest_cfg(targets=[hook])
    from monitor.alert import targets_for
    from monitor.models import Classification, Item
    from monitor.store.items import AlertRequest, insert_item

    for n in range(2):
        item = Item(id=f"d{n}", source="wire", title=f"Rare earth note {n}",
                    url=f"https://n.example/{n}")
        insert_item(db, item, Classification(relevant=False, score=0.1),
                    [AlertRequest("#re", "watch:re", t) for t in targets_for(cfg, "#re")],
                    clock.now)
    clock.advance(3 * 3600)
    for _ in range(2):
        run(db, fake_slack, clock, cfg)
    assert len(fake_slack.messages("#re")) == 1
    assert len(feed_server.hits("/hook")) == 1
    assert {s for _c, s in statuses(db)} == {"sent"}
