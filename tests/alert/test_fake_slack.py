"""The fake Slack behaves like Slack where delivery depends on it (checked with slack-sdk)."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack import FakeSlack


def client(fake: FakeSlack, token: str = "xoxb-test") -> WebClient:
    return WebClient(token=token, base_url=fake.url, retry_handlers=[])


def test_post_returns_channel_and_increasing_ts_and_stores_everything(
        fake_slack: FakeSlack) -> None:
    c = client(fake_slack)
    meta = {"event_type": "export_control_alert", "event_payload": {"alert_id": 7}}
    a = c.chat_postMessage(channel="#x", text="one", metadata=meta,
                           blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "b"}}])
    b = c.chat_postMessage(channel="#x", text="two", thread_ts=a["ts"])
    assert a["channel"].startswith("C") and float(b["ts"]) > float(a["ts"])
    first, second = fake_slack.messages("#x")
    assert first["metadata"] == meta and first["blocks"] and second["thread_ts"] == a["ts"]
    assert fake_slack.calls[0][1]["_auth"] == "Bearer xoxb-test"


def test_history_is_newest_first_top_level_and_metadata_only_on_request(
        fake_slack: FakeSlack) -> None:
    c = client(fake_slack)
    meta = {"event_type": "e", "event_payload": {"alert_id": 1}}
    parent = c.chat_postMessage(channel="#x", text="p", metadata=meta)["ts"]
    c.chat_postMessage(channel="#x", text="r", thread_ts=parent, metadata=meta)
    c.chat_postMessage(channel="#x", text="q")
    plain = c.conversations_history(channel="#x")["messages"]
    assert [m["text"] for m in plain] == ["q", "p"]  # the reply lives in its thread only
    assert all("metadata" not in m for m in plain)
    full = c.conversations_history(channel="#x", include_all_metadata=True)["messages"]
    assert full[1]["metadata"] == meta
    thread = c.conversations_replies(channel="#x", ts=parent, include_all_metadata=True)
    assert [m["text"] for m in thread["messages"]] == ["p", "r"]
    page = c.conversations_history(channel="#x", limit=1)
    assert page["has_more"] and page["response_metadata"]["next_cursor"]


@pytest.mark.parametrize(("token", "error"), [("xoxp-nope", "invalid_auth"), ("", "not_authed")])
def test_bad_tokens(fake_slack: FakeSlack, token: str, error: str) -> None:
    with pytest.raises(SlackApiError) as e:
        client(fake_slack, token).chat_postMessage(channel="#x", text="t")
    assert e.value.response["error"] == error


def test_faults_429_outage_channel_error_and_drop(fake_slack: FakeSlack) -> None:
    c = client(fake_slack)
    fake_slack.rate_limits, fake_slack.retry_after = 1, 3
    with pytest.raises(SlackApiError) as e:
        c.chat_postMessage(channel="#x", text="t")
    assert e.value.response.status_code == 429
    assert e.value.response.headers["Retry-After"] in ("3", ["3"])
    now = [1000.0]
    fake_slack.clock = lambda: now[0]
    fake_slack.outage(30)
    with pytest.raises(SlackApiError) as e:
        c.chat_postMessage(channel="#x", text="t")
    assert e.value.response.status_code == 503
    now[0] += 30
    fake_slack.channel_errors["#gone"] = "channel_not_found"
    with pytest.raises(SlackApiError) as e:
        c.chat_postMessage(channel="#gone", text="t")
    assert e.value.response["error"] == "channel_not_found"
    fake_slack.drop_after_accept = 1
    with pytest.raises(OSError):  # the connection closes with no reply
        c.chat_postMessage(channel="#x", text="lost reply")
    assert [m["text"] for m in fake_slack.messages()] == ["lost reply"]
    assert c.chat_postMessage(channel="#x", text="ok")["ok"]
