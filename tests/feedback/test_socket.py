"""Socket Mode against a loopback WebSocket endpoint, with slack-sdk's real builtin client:
click -> ack -> correction row -> alert updated; redeliveries; unknown items; reconnects."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from monitor import feedback
from monitor.alert.format import FEEDBACK_NOT_RELEVANT, FEEDBACK_RELEVANT, FEEDBACK_TOPIC
from monitor.feedback.socket import FeedbackListener
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode, block_actions, wait_for
from tests.feedback.conftest import add_item, as_payload_message, deliver


def corrections(db_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT item_id, relevant, topic, slack_user, origin, channel_id,"
                            " message_ts, slack_user_name FROM corrections ORDER BY id"
                            ).fetchall()


def status_text(slack: FakeSlack, ts: str) -> str | None:
    msg = next(m for m in slack.posted if m["ts"] == ts)
    for block in msg.get("blocks") or []:
        if block.get("block_id") == "feedback_status":
            return str(block["elements"][0]["text"])
    return None


def click(sock: FakeSocketMode, slack: FakeSlack, item_id: str, action: str, *,
          user: str = "U0ANALYST", topic: str | None = None, envelope_id: str | None = None,
          retry_attempt: int = 0) -> str:
    posted = next(m for m in slack.posted if m["blocks"][-1]["block_id"] == f"feedback:{item_id}")
    payload = block_actions(item_id, action, user=user, topic=topic,
                            channel=slack.channel_id(posted["channel"]),
                            message=as_payload_message(posted))
    return sock.send_interactive(payload, envelope_id=envelope_id, retry_attempt=retry_attempt)


def test_click_is_acked_recorded_and_shown_on_the_alert(
        db_path: Path, wired: FakeSlack, fake_socket_mode: FakeSocketMode,
        listener: FeedbackListener) -> None:
    item = add_item(db_path, 1)
    deliver(db_path, wired)
    ts = wired.posted[0]["ts"]
    fake_socket_mode.wait_connected()
    wait_for(lambda: feedback.status()["connected"], what="listener connected")

    env = click(fake_socket_mode, wired, item, FEEDBACK_NOT_RELEVANT)
    latency = fake_socket_mode.wait_ack(env)
    wait_for(lambda: len(wired.updates) == 1, what="chat.update")
    print(f"ack latency: {latency * 1000:.1f} ms")
    assert corrections(db_path) == [
        (item, 0, None, "U0ANALYST", "slack", "CEXPORTCONT", ts, "analyst")]
    assert status_text(wired, ts) == "marked not relevant by <@U0ANALYST>"
    update = wired.updates[0]
    assert update["channel"] == "CEXPORTCONT" and update["ts"] == ts
    # The buttons stay: another analyst (or the same one, changing their mind) can click.
    assert update["blocks"][-1]["block_id"] == f"feedback:{item}"
    assert update["text"] == wired.posted[0]["text"]

    # The same analyst changes their mind: one row per user and item, the later one wins.
    env2 = click(fake_socket_mode, wired, item, FEEDBACK_RELEVANT)
    fake_socket_mode.wait_ack(env2)
    wait_for(lambda: len(wired.updates) == 2, what="second chat.update")
    assert [r[:4] for r in corrections(db_path)] == [(item, 1, None, "U0ANALYST")]
    assert status_text(wired, ts) == "marked relevant by <@U0ANALYST>"

    # A second analyst and a topic fix: both marks on the alert, oldest first.
    env3 = click(fake_socket_mode, wired, item, FEEDBACK_TOPIC, user="U0OTHER",
                 topic="enforcement")
    fake_socket_mode.wait_ack(env3)
    wait_for(lambda: len(wired.updates) == 3, what="third chat.update")
    assert [r[:4] for r in corrections(db_path)] == [
        (item, 1, None, "U0ANALYST"), (item, 1, '["enforcement"]', "U0OTHER")]
    assert status_text(wired, ts) == ("marked relevant by <@U0ANALYST> · "
                                      "marked relevant by <@U0OTHER> (topic: Enforcement)")
    state = feedback.status()
    assert state["enabled"] and state["connected"] and state["clicks_recorded"] == 3


@pytest.fixture
def alerted(db_path: Path, wired: FakeSlack, fake_socket_mode: FakeSocketMode,
            listener: FeedbackListener) -> str:
    """One item, its alert posted with buttons, the listener connected: the item id."""
    item = add_item(db_path, 1)
    deliver(db_path, wired)
    fake_socket_mode.wait_connected()
    return item


def test_ack_is_sent_before_the_work(alerted: str, wired: FakeSlack,
                                     fake_socket_mode: FakeSocketMode,
                                     listener: FeedbackListener) -> None:
    """Slack wants the ack within 3 s: it must not wait for the database or chat.update."""
    seen: dict[str, bool] = {}
    original = listener.handler.handle

    def held_handle(envelope_id: str | None, payload: dict[str, Any]) -> list[str]:
        # Hold the work until the server has the ack: an ack sent after the work would
        # never arrive here and the wait would give up.
        try:
            wait_for(lambda: envelope_id in fake_socket_mode.acks, what="ack", tries=200)
            seen["acked_before_work"] = True
        except AssertionError:
            seen["acked_before_work"] = False
        return original(envelope_id, payload)

    listener.handler.handle = held_handle  # type: ignore[method-assign]
    env = click(fake_socket_mode, wired, alerted, FEEDBACK_RELEVANT)
    fake_socket_mode.wait_ack(env)
    wait_for(lambda: len(wired.updates) == 1, what="chat.update")
    assert seen == {"acked_before_work": True}


def test_redelivered_envelope_records_once(db_path: Path, wired: FakeSlack,
                                           fake_socket_mode: FakeSocketMode,
                                           alerted: str) -> None:
    item = alerted
    env = click(fake_socket_mode, wired, item, FEEDBACK_NOT_RELEVANT)
    fake_socket_mode.wait_ack(env)
    wait_for(lambda: len(wired.updates) == 1, what="chat.update")
    with sqlite3.connect(db_path) as conn:
        first = conn.execute("SELECT id, created_at FROM corrections").fetchall()
    # Slack resends an envelope it thinks was not acknowledged: same id, retry_attempt 1.
    fake_socket_mode.acks.pop(env)
    click(fake_socket_mode, wired, item, FEEDBACK_NOT_RELEVANT, envelope_id=env,
          retry_attempt=1)
    fake_socket_mode.wait_ack(env)  # acknowledged again, or Slack keeps resending
    # A later click (a new envelope) proves the redelivery was processed before it.
    env2 = click(fake_socket_mode, wired, item, FEEDBACK_NOT_RELEVANT, user="U0OTHER")
    fake_socket_mode.wait_ack(env2)
    wait_for(lambda: len(wired.updates) == 2, what="second chat.update")
    time.sleep(0.3)
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT id, created_at FROM corrections WHERE slack_user ="
                            " 'U0ANALYST'").fetchall()
    assert rows == first
    assert len(wired.updates) == 2  # the redelivery updated nothing


def test_unknown_item_gets_an_ephemeral_answer(db_path: Path, wired: FakeSlack,
                                               fake_socket_mode: FakeSocketMode,
                                               listener: FeedbackListener) -> None:
    fake_socket_mode.wait_connected()
    payload = block_actions("item-gone", FEEDBACK_RELEVANT, user="U0ANALYST",
                            channel="CEXPORTCONT")
    env = fake_socket_mode.send_interactive(payload)
    fake_socket_mode.wait_ack(env)
    wait_for(lambda: len(wired.ephemerals) == 1, what="chat.postEphemeral")
    note = wired.ephemerals[0]
    assert note["user"] == "U0ANALYST" and note["channel"] == "CEXPORTCONT"
    assert "no longer in the monitor's database" in note["text"]
    assert corrections(db_path) == [] and wired.updates == []


def test_reconnects_after_the_server_drops_the_connection(
        db_path: Path, wired: FakeSlack, fake_socket_mode: FakeSocketMode, alerted: str) -> None:
    item = alerted
    fake_socket_mode.drop()  # no close frame: a network failure
    fake_socket_mode.wait_connected(count=2)
    wait_for(lambda: feedback.status()["reconnects"] >= 1, what="reconnect seen")
    env = click(fake_socket_mode, wired, item, FEEDBACK_NOT_RELEVANT)
    fake_socket_mode.wait_ack(env)
    wait_for(lambda: len(corrections(db_path)) == 1, what="correction after reconnect")

    # Slack's own `disconnect` envelope (e.g. before a server restart): a fresh URL, again.
    opened = wired.count("apps.connections.open")
    fake_socket_mode.ask_to_reconnect()
    fake_socket_mode.wait_connected(count=3)
    assert wired.count("apps.connections.open") > opened
    env = click(fake_socket_mode, wired, item, FEEDBACK_RELEVANT, user="U0OTHER")
    fake_socket_mode.wait_ack(env)
    wait_for(lambda: len(corrections(db_path)) == 2, what="correction after refresh")
    assert feedback.status()["connected"]


def test_first_connection_is_retried_until_slack_answers(
        db_path: Path, wired: FakeSlack, fake_socket_mode: FakeSocketMode) -> None:
    wired.connections_open_errors = 2  # apps.connections.open fails twice (503)
    lst = FeedbackListener("xapp-test", "xoxb-test", str(db_path), api_url=wired.url,
                           ping_interval=1.0)
    import monitor.feedback.socket as sock_mod

    sock_mod.FIRST_BACKOFF = 0.05
    try:
        lst.start()
        fake_socket_mode.wait_connected()
        wait_for(lambda: feedback.status()["connected"], what="connected after retries")
        assert wired.count("apps.connections.open") == 3
    finally:
        sock_mod.FIRST_BACKOFF = 1.0
        lst.stop()
    assert feedback.status() == {"enabled": False}


def test_bad_app_token_is_reported_not_retried(db_path: Path, wired: FakeSlack) -> None:
    lst = FeedbackListener("xoxb-not-an-app-token", "xoxb-test", str(db_path),
                           api_url=wired.url, ping_interval=1.0)
    lst.start()
    try:
        wait_for(lambda: (feedback.status().get("last_error") or "").find("invalid_auth") >= 0,
                 what="auth error reported")
        state = feedback.status()
        assert state["connected"] is False and "SLACK_APP_TOKEN" in state["last_error"]
        assert "xoxb-not-an-app-token" not in str(state)
        assert wired.count("apps.connections.open") == 1
    finally:
        lst.stop()
