"""`monitor send-test CHANNEL` posts a sample and explains Slack's errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.alert.commands import send_test
from tests.fakes.slack import FakeSlack


@pytest.fixture
def env(tmp_path: Path, fake_slack: FakeSlack) -> dict[str, str]:
    cfg = tmp_path / "m.yaml"
    cfg.write_text("sources: []\n", encoding="utf-8")
    return {"MONITOR_CONFIG": str(cfg), "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": fake_slack.url}


def test_send_test_posts_a_sample(env: dict[str, str], fake_slack: FakeSlack) -> None:
    res = CliRunner().invoke(send_test, ["#export-controls"], env=env)
    assert res.exit_code == 0, res.output
    assert "ok: posted to #export-controls via Slack" in res.output
    (msg,) = fake_slack.messages("#export-controls")
    assert "Test alert" in msg["text"]


@pytest.mark.parametrize(("error", "hint"), [
    ("not_in_channel", "/invite @monitor"),
    ("channel_not_found", "invite the bot"),
    ("missing_scope", "chat:write"),
])
def test_send_test_explains_errors(env: dict[str, str], fake_slack: FakeSlack, error: str,
                                   hint: str) -> None:
    fake_slack.channel_errors["#x"] = error
    res = CliRunner().invoke(send_test, ["#x"], env=env)
    assert res.exit_code == 1
    assert error in res.output and hint in res.output


def test_send_test_bad_token(env: dict[str, str]) -> None:
    res = CliRunner().invoke(send_test, ["#x"], env=dict(env, SLACK_BOT_TOKEN="xoxp-nope"))
    assert res.exit_code == 1 and "SLACK_BOT_TOKEN" in res.output
