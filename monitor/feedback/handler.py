"""What one click means: parse a block_actions payload, record it, show it on the alert.

Runs after the envelope was acknowledged (Slack wants the ack within 3 s; the
database and chat.update may take longer under load).  Everything Slack hands
back is treated as untrusted input: item ids are looked up, user ids are checked
before they become `<@…>` mentions, and nothing from the payload is posted raw.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from monitor.alert.format import (
    FEEDBACK_BLOCK,
    FEEDBACK_NOT_RELEVANT,
    FEEDBACK_RELEVANT,
    FEEDBACK_STATUS_BLOCK,
    FEEDBACK_TOPIC,
    escape,
    topic_name,
)
from monitor.classify.taxonomy import TOPICS
from monitor.errors import StoreError
from monitor.store import open_db
from monitor.store.corrections import Mark, Recorded, record_click
from monitor.text import truncate

log = logging.getLogger(__name__)

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
STATUS_MAX = 2900  # one mrkdwn context element holds 3000 characters
UNKNOWN_ITEM = ("This alert's item is no longer in the monitor's database (it may have been "
                "removed or the alert came from another monitor), so your feedback was not "
                "recorded.")
NOT_RECORDED = ("The monitor could not record your feedback just now (its database is busy "
                "or unavailable). Please click again in a minute.")
ACTIONS = (FEEDBACK_RELEVANT, FEEDBACK_NOT_RELEVANT, FEEDBACK_TOPIC)


@dataclass(frozen=True)
class Click:
    item_id: str
    user: str
    relevant: bool | None  # None: a topic choice
    topic: str | None
    channel_id: str | None
    message_ts: str | None
    message: dict[str, Any] | None
    user_name: str | None = None


def parse_clicks(payload: dict[str, Any]) -> list[Click]:
    """Our feedback actions in a block_actions payload; anything else is ignored."""
    if payload.get("type") != "block_actions":
        return []
    who = payload.get("user") or {}
    user = str(who.get("id") or "")
    name = who.get("username") or who.get("name")
    container = payload.get("container") or {}
    channel = (payload.get("channel") or {}).get("id") or container.get("channel_id")
    message = payload.get("message") if isinstance(payload.get("message"), dict) else None
    ts = container.get("message_ts") or (message or {}).get("ts")
    out = []
    for action in payload.get("actions") or []:
        action_id = action.get("action_id")
        if action_id not in ACTIONS or not user:
            continue
        block_id = str(action.get("block_id") or "")
        item_id = (str(action.get("value") or "") if action_id != FEEDBACK_TOPIC
                   else block_id.removeprefix(FEEDBACK_BLOCK) if block_id.startswith(
                       FEEDBACK_BLOCK) else "")
        topic = None
        if action_id == FEEDBACK_TOPIC:
            topic = str((action.get("selected_option") or {}).get("value") or "")
            if topic not in TOPICS:
                continue
        out.append(Click(item_id=item_id, user=user,
                         relevant=None if topic else action_id == FEEDBACK_RELEVANT,
                         topic=topic, channel_id=str(channel) if channel else None,
                         message_ts=str(ts) if ts else None, message=message,
                         user_name=str(name)[:80] if name else None))
    return out


def mention(user: str) -> str:
    return f"<@{user}>" if USER_ID.match(user) else escape(user)


def status_line(marks: list[Mark]) -> str:
    """'marked not relevant by <@U1> · marked relevant by <@U2> (topic: Enforcement)'."""
    parts = []
    for m in marks:
        verdict = "relevant" if m.relevant else "not relevant"
        topics = f" (topic: {', '.join(topic_name(t) for t in m.topic)})" if m.topic else ""
        parts.append(f"marked {verdict} by {mention(m.user)}{topics}")
    text = " · ".join(parts)
    if len(text) > STATUS_MAX:  # cut between marks so no mention is broken
        text = text[:STATUS_MAX].rsplit(" · ", 1)[0] + " · …"
    return text


def with_status(blocks: list[dict[str, Any]], marks: list[Mark]) -> list[dict[str, Any]]:
    """The alert's blocks with the feedback context line replaced (or added) above the buttons."""
    kept = [b for b in blocks if b.get("block_id") != FEEDBACK_STATUS_BLOCK]
    if not marks:
        return kept
    line = {"type": "context", "block_id": FEEDBACK_STATUS_BLOCK,
            "elements": [{"type": "mrkdwn", "text": status_line(marks)}]}
    at = next((i for i, b in enumerate(kept)
               if str(b.get("block_id") or "").startswith(FEEDBACK_BLOCK)), len(kept))
    return [*kept[:at], line, *kept[at:]][:50]


class FeedbackHandler:
    """Records clicks in the database and answers them in Slack."""

    def __init__(self, db_path: str, web: WebClient, clock: Callable[[], datetime]) -> None:
        self.db_path, self.web, self.clock = db_path, web, clock

    def handle(self, envelope_id: str | None, payload: dict[str, Any]) -> list[str]:
        """Process every feedback action of one envelope; returns each one's outcome."""
        outcomes = []
        for n, click in enumerate(parse_clicks(payload)):
            # One envelope may carry several actions: each needs its own dedupe key.
            key = f"{envelope_id}:{n}" if envelope_id else None
            outcomes.append(self._one(key, click))
        return outcomes

    def _one(self, envelope_id: str | None, click: Click) -> str:
        try:
            db = open_db(self.db_path)
            try:
                rec = record_click(db, envelope_id=envelope_id, item_id=click.item_id,
                                   user=click.user, relevant=click.relevant, topic=click.topic,
                                   now=self.clock(), channel_id=click.channel_id,
                                   message_ts=click.message_ts, user_name=click.user_name)
            finally:
                db.close()
        except (StoreError, sqlite3.Error) as e:
            # Acked already, so Slack will not resend: say so rather than lose it silently.
            log.error("feedback from %s on %s not recorded: %s", click.user, click.item_id, e)
            self._ephemeral(click, NOT_RECORDED)
            return "error"
        if rec.status == "duplicate":
            log.info("feedback envelope %s delivered again: already recorded", envelope_id)
        elif rec.status == "unknown_item":
            log.warning("feedback on unknown item %r from %s", truncate(click.item_id, 80),
                        click.user)
            self._ephemeral(click, UNKNOWN_ITEM)
        else:
            verdict = f"topic {click.topic}" if click.topic else (
                "relevant" if click.relevant else "not relevant")
            log.info("feedback: %s marked item %s %s", click.user, click.item_id, verdict)
            self._update(click, rec)
        return rec.status

    def _update(self, click: Click, rec: Recorded) -> None:
        if not click.channel_id or not click.message_ts or not click.message:
            return
        blocks = with_status(list(click.message.get("blocks") or []), rec.marks)
        try:
            self.web.chat_update(channel=click.channel_id, ts=click.message_ts, blocks=blocks,
                                 text=str(click.message.get("text") or ""))
        except SlackApiError as e:
            log.warning("feedback recorded, but the alert could not be updated: %s",
                        e.response.get("error"))
        except (urllib.error.URLError, HTTPException, OSError) as e:
            log.warning("feedback recorded, but Slack was unreachable for chat.update: %s", e)

    def _ephemeral(self, click: Click, text: str) -> None:
        if not click.channel_id:
            return
        try:
            self.web.chat_postEphemeral(channel=click.channel_id, user=click.user, text=text)
        except (SlackApiError, urllib.error.URLError, HTTPException, OSError) as e:
            log.warning("could not tell %s that the item is unknown: %s", click.user, e)
