"""Block Kit layout (golden files), escaping of hostile text, and Slack's size limits."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from monitor.alert.format import (
    HEADER_MAX,
    MAX_BLOCKS,
    SECTION_MAX,
    digest_message,
    escape,
    item_message,
    link,
    ops_message,
    safe_url,
    shorten,
)
from monitor.classify.taxonomy import TOPICS

GOLDEN = Path(__file__).parent / "golden"
ROW = {
    "title": "China tightens export controls on rare-earth technologies",
    "url": "https://news.example.org/mofcom-61?x=1&y=2",
    "source": "mofcom-news",
    "sources": ["mofcom-news", "global-times"],
    "published": "2025-10-09T03:51:00Z",
    "lang": "en",
    "score": 0.97,
    "topic": ["new_restriction", "licensing"],
    "item": ["rare_earths", "dual_use"],
    "jurisdiction": ["CN"],
    "why": ["'export control' + 'rare earth' in title", "score 0.97 >= threshold 0.50"],
    "summary": "MOFCOM announced Announcement No. 61 of 2025 on rare-earth items.",
    "facts": {"announcements": ["MOFCOM 2025 No. 61"], "effective_dates": ["2025-12-01"]},
}
HOSTILE = [
    "<!channel> rare earth ban",
    "<!here|here> & <!everyone>",
    "<@U012345> look",
    "<https://evil.example|reuters.com story>",
    "<#C012345> and <!subteam^S012|team> and <!date^1392734382^{date}|x>",
    "&lt;!channel&gt; already escaped",
]


def golden(name: str, value: object) -> None:
    path = GOLDEN / name
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed (UPDATE_GOLDEN=1 to accept)"


def test_item_message_golden() -> None:
    msg = item_message(ROW, "classifier")
    golden("item_message.json", {"text": msg.text, "blocks": msg.blocks})


def test_watch_reply_and_digest_and_ops_golden() -> None:
    reply = item_message(dict(ROW, score=0.12, topic=[], item=[], jurisdiction=[]),
                         "watch:rare-earths", in_thread=True)
    digest = digest_message("#rare-earths", "2026-11-20", [
        {"title": "Rare earth prices climb", "url": "https://x.example/1", "source": "wire",
         "score": 0.1, "reason": "watch:rare-earths"},
        {"title": "Magnet plant opens", "url": "https://x.example/2", "source": "wire",
         "score": 0.3, "reason": "classifier"}])
    ops = ops_message("mofcom-news failing for 3 polls in a row: HTTP 503")
    golden("digest_ops_reply_messages.json", {
        "reply": {"text": reply.text, "blocks": reply.blocks},
        "digest": {"text": digest.text, "blocks": digest.blocks},
        "ops": {"text": ops.text, "blocks": ops.blocks}})


def test_escape_exactly_once_in_order() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("&amp;") == "&amp;amp;"  # user text is escaped once, as given


def _mrkdwn_strings(msg: object) -> list[str]:
    out = [msg.text]  # type: ignore[attr-defined]
    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                out.append(node["text"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(msg.blocks)  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_cannot_ping_or_disguise_links(hostile: str) -> None:
    row = dict(ROW, title=hostile, summary=hostile, source=hostile, why=[hostile],
               facts={"entities": [hostile]}, sources=[hostile])
    msg = item_message(row, f"watch:{hostile}")
    for text in _mrkdwn_strings(msg):
        # The only "<" left in parsed text is our own link to the validated article URL.
        without_link = text.replace(f"<{link(ROW['url'], hostile)[1:].split('|')[0]}|", "")
        for bad in ("<!", "<@", "<#", "<https://evil"):
            assert bad not in without_link, (bad, text)


def test_urls_are_validated() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("ftp://x.org/a") is None
    assert safe_url("https://x.org/a|b>c") == "https://x.org/a%7Cb%3Ec"
    assert link("https://x.org/?a=1&b=2", "T & <x>") == (
        "<https://x.org/?a=1&amp;b=2|T &amp; &lt;x&gt;>")
    assert link("data:text/html,hi", "title") == "title"


def test_limits_are_respected_by_truncation() -> None:
    huge = "Export control " * 2000
    row = dict(ROW, title=huge, summary=huge, why=[huge] * 10,
               facts={k: [huge] * 20 for k in ("announcements", "items", "entities")})
    msg = item_message(row, "classifier")
    assert len(msg.blocks) <= MAX_BLOCKS
    header = msg.blocks[0]["text"]["text"]
    assert len(header) <= HEADER_MAX and header.endswith("…")
    for block in msg.blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= SECTION_MAX
    assert len(msg.text) <= 4000
    assert len(json.dumps(msg.blocks, ensure_ascii=False)) <= 12000
    many = digest_message("#c", "2026-11-20", [
        {"title": huge[:300], "url": "https://x.example/1", "source": "w", "score": 0.1}] * 500)
    assert len(many.blocks) <= MAX_BLOCKS


def test_escaping_never_splits_an_entity_at_the_cut() -> None:
    row = dict(ROW, summary="&" * 5000)
    msg = item_message(row, "classifier")
    summary = msg.blocks[3]["text"]["text"]
    assert summary.rstrip("…").endswith("&amp;")


def test_shorten_never_cuts_inside_a_link_or_entity() -> None:
    msg = item_message(dict(ROW, title="Export & control " * 100, why=["w & x " * 300]),
                       "classifier")
    for limit in (50, 120, 700, 1000):
        text = shorten(msg, limit).text
        assert len(text) <= limit
        assert text.count("<") == text.count(">")
        assert not text.rstrip("…").endswith(("&", "&a", "&am", "&amp"))


def test_item_message_with_feedback_controls_golden() -> None:
    """With Socket Mode on (SLACK_APP_TOKEN): Relevant / Not relevant and a topic menu."""
    msg = item_message(dict(ROW, id="a1b2c3d4e5f60718"), "classifier", feedback=True)
    golden("item_message_feedback.json", {"text": msg.text, "blocks": msg.blocks})
    controls = msg.blocks[-1]
    assert controls["type"] == "actions" and controls["block_id"] == "feedback:a1b2c3d4e5f60718"
    assert [e["action_id"] for e in controls["elements"]] == [
        "feedback_relevant", "feedback_not_relevant", "feedback_topic"]
    assert [o["value"] for o in controls["elements"][2]["options"]] == list(TOPICS)


def test_no_feedback_controls_without_socket_mode() -> None:
    msg = item_message(dict(ROW, id="a1b2c3d4e5f60718"), "classifier")
    actions = [e.get("action_id") for b in msg.blocks if b["type"] == "actions"
               for e in b["elements"]]
    assert actions == ["open_article"]


def test_buttons_follow_slack_app_token() -> None:
    from monitor.alert.sinks import build_sinks
    from monitor.config import Config

    cfg = Config()
    with_app = build_sinks(cfg, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    without = build_sinks(cfg, {"SLACK_BOT_TOKEN": "xoxb-1"})
    console = build_sinks(cfg, {"SLACK_APP_TOKEN": "xapp-1"})
    assert getattr(with_app.slack, "feedback", None) is True
    assert getattr(without.slack, "feedback", None) is False
    assert getattr(console.slack, "feedback", False) is False  # nothing to click in a console


def test_feedback_blocks_pass_slack_sdk_block_kit_checks() -> None:
    from slack_sdk.models.blocks import Block

    msg = item_message(dict(ROW, id="x" * 300), "classifier", feedback=True)
    for block in msg.blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.to_dict()  # raises SlackObjectFormationError beyond Slack's limits
