"""What a click means, without a socket: payload parsing, the status line, hostile input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.alert.format import FEEDBACK_RELEVANT, FEEDBACK_TOPIC
from monitor.feedback.handler import FeedbackHandler, parse_clicks, status_line, with_status
from monitor.store.corrections import Mark
from tests.fakes.socket_mode import block_actions


def test_parse_buttons_and_topic_menu() -> None:
    (c,) = parse_clicks(block_actions("item-1", FEEDBACK_RELEVANT, user="U1"))
    assert (c.item_id, c.user, c.relevant, c.topic, c.channel_id) == (
        "item-1", "U1", True, None, "CEXPORTCONT")
    (t,) = parse_clicks(block_actions("item-1", FEEDBACK_TOPIC, topic="licensing"))
    assert (t.item_id, t.relevant, t.topic) == ("item-1", None, "licensing")


def test_parse_ignores_what_is_not_ours() -> None:
    other = block_actions("item-1", "open_article")
    assert parse_clicks(other) == []
    assert parse_clicks(block_actions("item-1", FEEDBACK_TOPIC, topic="not_a_topic")) == []
    assert parse_clicks({"type": "view_submission"}) == []
    no_user = block_actions("item-1", FEEDBACK_RELEVANT)
    no_user["user"] = {}
    assert parse_clicks(no_user) == []


def test_status_line_mentions_only_real_user_ids() -> None:
    marks = [Mark("U012ABC", False, None, "t"), Mark("<!channel>", True, ["enforcement"], "t")]
    assert status_line(marks) == ("marked not relevant by <@U012ABC> · marked relevant by "
                                  "&lt;!channel&gt; (topic: Enforcement)")


def test_status_line_stays_inside_one_context_element() -> None:
    marks = [Mark(f"U{n:08d}", bool(n % 2), None, "t") for n in range(400)]
    text = status_line(marks)
    assert len(text) <= 3000 and text.endswith(" · …") and "<@U" in text
    assert text.count("<") == text.count(">")  # no mention cut in half


def test_with_status_replaces_the_line_above_the_buttons() -> None:
    blocks = [{"type": "header"}, {"type": "actions", "block_id": "feedback:i1"}]
    once = with_status(blocks, [Mark("U1", True, None, "t")])
    assert [b.get("block_id") for b in once] == [None, "feedback_status", "feedback:i1"]
    twice = with_status(once, [Mark("U1", False, None, "t")])
    assert len(twice) == 3 and "not relevant" in twice[1]["elements"][0]["text"]


class _Web:
    def __init__(self) -> None:
        self.notes: list[dict[str, object]] = []

    def chat_postEphemeral(self, **kw: object) -> None:
        self.notes.append(kw)


def test_unusable_database_is_told_to_the_clicker(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db"
    bad.write_bytes(b"garbage" * 100)
    web = _Web()
    handler = FeedbackHandler(str(bad), web, lambda: datetime.now(UTC))  # type: ignore[arg-type]
    assert handler.handle("e1", block_actions("item-1", FEEDBACK_RELEVANT)) == ["error"]
    assert web.notes and "click again" in str(web.notes[0]["text"])


def test_services_need_both_tokens(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from monitor import feedback
    from monitor.config import Config

    cfg = Config.model_validate({"database": str(tmp_path / "m.db")})
    services = feedback.start(lambda: cfg, object(), {"SLACK_APP_TOKEN": "xapp-1"})
    assert services.listener is None and feedback.status() == {"enabled": False}
    assert "SLACK_BOT_TOKEN is not" in caplog.text
    services.stop()
    services = feedback.start(lambda: cfg, object(), {})
    assert services.listener is None and services.retrainer is None
