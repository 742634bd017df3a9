"""Block Kit messages with a plain-text fallback, safe against hostile feed text.

Only `&`, `<`, `>` are special in Slack text; escaping them (in that order,
once) is enough to stop `<!channel>`, `<@U…>` and disguised `<url|label>`
links.  Limits are enforced here by truncation so Slack never rejects a post.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from monitor.text import strip_invisible, truncate

HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
BUTTON_URL_MAX = 3000
TEXT_MAX = 3500  # fallback text: well under Slack's 40k, readable in a notification
SUMMARY_SHOWN = 600  # of the stored summary (monitor.text.SUMMARY_MAX): a readable alert
FACT_MAX = 500  # per fact line; five lines stay well inside one 3000-char section
# By construction the blocks total under ≈9.5k characters, inside Slack's ≈12k budget.
MAX_BLOCKS = 50
# Feedback controls (contract: interfaces.md, "Feedback from Slack").  The item id
# rides in the block_id (menus carry only the option) and in each button's value.
FEEDBACK_RELEVANT = "feedback_relevant"
FEEDBACK_NOT_RELEVANT = "feedback_not_relevant"
FEEDBACK_TOPIC = "feedback_topic"
FEEDBACK_BLOCK = "feedback:"  # + item id
FEEDBACK_STATUS_BLOCK = "feedback_status"
FACT_LABELS = {
    "announcements": "Announcement",
    "effective_dates": "Effective",
    "eccns": "ECCN",
    "items": "Controlled items",
    "entities": "Listed entities",
}


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Single-spaced on one line (multi-line text only trimmed), cut by monitor.text.truncate."""
    return truncate(" ".join(text.split()) if "\n" not in text else text.strip(), limit)


def esc_trunc(text: str, limit: int) -> str:
    """Escape then fit: escaping lengthens text, and an entity must never be cut in half."""
    budget = limit
    while budget > 0:
        out = escape(fit(text, budget))
        if len(out) <= limit:
            return out
        budget = min(budget - 1, budget * limit // len(out))
    return ""


# Characters that would end or relabel `<url|label>`: percent-encode, never drop.
_LINK_BREAKERS = {"<": "%3C", ">": "%3E", "|": "%7C", " ": "%20", '"': "%22"}
_LINK_TABLE = str.maketrans(_LINK_BREAKERS)


def safe_url(url: object) -> str | None:
    """An http(s) URL that cannot close or relabel a Slack link, or None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if not url.isprintable():  # rare: drop control and format characters one by one
        url = "".join(c for c in url if c.isprintable())
    cleaned = url.translate(_LINK_TABLE)
    return cleaned if len(cleaned) <= BUTTON_URL_MAX else None


def link(url: object, label: str, limit: int = 300) -> str:
    """`<url|label>` built from a validated URL, or just the escaped label."""
    u = safe_url(url)
    text = esc_trunc(label, limit)
    # `&` is the one character of a URL that mrkdwn wants escaped inside a link.
    return f"<{u.replace('&', '&amp;')}|{text}>" if u else text


def _labels(row: Mapping[str, Any]) -> str:
    parts = [", ".join(row.get(k) or []) for k in ("topic", "item", "jurisdiction")]
    chips = " · ".join(p for p in parts if p)
    return chips or "no labels"


def _facts_lines(facts: Mapping[str, Sequence[str]]) -> list[str]:
    lines = []
    for key, label in FACT_LABELS.items():
        values = [str(v) for v in facts.get(key) or []][:6]
        if values:
            lines.append(f"*{label}:* {esc_trunc(', '.join(values), FACT_MAX)}")
    return lines


def fit_lines(lines: Sequence[str], limit: int) -> str:
    """Whole lines while they fit (then "…"): a cut never lands inside `<url|label>` or `&amp;`."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + len(kept) > limit - 2:
            return "\n".join([*kept, "…"])
        kept.append(line)
        used += len(line)
    return "\n".join(kept)


def display_title(row: Mapping[str, Any]) -> str:
    """The title as shown: without invisible characters; never empty.

    An empty or invisible title (whitespace, NULs, zero-width spaces) falls back
    to the first words of the summary, then the link.
    """
    title = " ".join(strip_invisible(str(row.get("title") or "")).split())
    if title:
        return title
    summary = " ".join(strip_invisible(str(row.get("summary") or "")).split())
    if summary:
        return fit(summary, 80)
    return str(row.get("url") or "").strip() or "(no title)"


def topic_name(topic: str) -> str:
    """'new_restriction' -> 'New restriction': the menu shows words, Slack hands back the ID."""
    return topic.replace("_", " ").capitalize()


def feedback_block(item_id: str) -> dict[str, Any]:
    """Relevant / Not relevant buttons and a topic menu for one item."""
    from monitor.classify.taxonomy import TOPICS

    value = str(item_id)[:2000]
    return {"type": "actions", "block_id": (FEEDBACK_BLOCK + str(item_id))[:255], "elements": [
        {"type": "button", "action_id": FEEDBACK_RELEVANT, "value": value, "style": "primary",
         "text": {"type": "plain_text", "text": "Relevant"}},
        {"type": "button", "action_id": FEEDBACK_NOT_RELEVANT, "value": value,
         "text": {"type": "plain_text", "text": "Not relevant"}},
        {"type": "static_select", "action_id": FEEDBACK_TOPIC,
         "placeholder": {"type": "plain_text", "text": "Correct the topic"},
         "options": [{"text": {"type": "plain_text", "text": topic_name(t)}, "value": t}
                     for t in TOPICS]},
    ]}


def item_message(row: Mapping[str, Any], reason: str, *, in_thread: bool = False,
                 feedback: bool = False) -> Message:
    """An alert for one stored item (an `items` row with decoded JSON lists).

    `feedback` adds the Relevant / Not relevant / topic controls: only when a
    Socket Mode connection (SLACK_APP_TOKEN) is there to receive the clicks.
    """
    title = display_title(row)
    url = row.get("url")
    source = str(row.get("source") or "?")
    others = [s for s in row.get("sources") or [] if s != source]
    published = str(row.get("published") or "date unknown").replace("T", " ").replace("Z", " UTC")
    lang = row.get("lang") or "?"
    score = float(row.get("score") or 0.0)
    labels = _labels(row)
    why = [str(w) for w in row.get("why") or []][:4]
    why_text = "; ".join(why)
    via = "classifier" if reason == "classifier" else f"keyword rule {reason.split(':', 1)[-1]}"

    head = link(url, title, 500)
    if len(head) > TEXT_MAX // 2:  # a monster URL: the label alone, rather than a cut link
        head = esc_trunc(title, 500)
    fallback = list(filter(None, [
        f"{'↳ ' if in_thread else ''}{head}",
        escape(f"{source} · {published} · {labels} · score {score:.2f}"),
        esc_trunc(f"Why: {why_text}", 800) if why_text else "",
        escape(f"Matched by {via}"),
    ]))

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit(title, HEADER_MAX),
                                    "emoji": False}},
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": esc_trunc(f"{source} · {published} · {lang}", 300)},
            *([{"type": "mrkdwn", "text": esc_trunc("also: " + ", ".join(others), 300)}]
              if others else []),
        ]},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Labels*\n{esc_trunc(labels, FIELD_MAX - 20)}"},
            {"type": "mrkdwn", "text": f"*Score*\n{score:.2f} ({escape(via)})"},
        ]},
    ]
    summary = strip_invisible(str(row.get("summary") or "")).strip()
    if summary:
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": esc_trunc(summary, SUMMARY_SHOWN)}})
    if why_text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                       "text": "*Why:* " + esc_trunc(why_text, SECTION_MAX - 20)}})
    facts = _facts_lines(row.get("facts") or {})
    if facts:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                       "text": "\n".join(facts)}})
    target = safe_url(url)
    if target:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open article"},
             "url": target, "action_id": "open_article"},
        ]})
    if feedback and row.get("id"):
        blocks.append(feedback_block(str(row["id"])))
    return Message(text=fit_lines(fallback, TEXT_MAX), blocks=blocks[:MAX_BLOCKS])


def ops_message(text: str) -> Message:
    body = esc_trunc(text, SECTION_MAX - 40)
    return Message(
        text=f":warning: Export-Control Monitor: {fit(body, TEXT_MAX)}",
        blocks=[{"type": "section", "text": {"type": "mrkdwn",
                                             "text": f":warning: *Monitor notice*\n{body}"}}],
    )


def digest_message(channel: str, day: str, rows: Sequence[Mapping[str, Any]]) -> Message:
    """One summary of the day's low-score and keyword-only matches for a channel."""
    head = f"Daily digest for {day}: {len(rows)} lower-priority matches"
    lines = []
    for r in rows:
        reason = str(r.get("reason") or "")
        title = link(r.get("url"), display_title(r), 200)
        source = escape(str(r.get("source") or "?"))
        why = escape(f" ({reason})") if reason.startswith("watch:") else ""
        lines.append(f"• {title} — {source}, score {float(r.get('score') or 0):.2f}{why}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit(head, HEADER_MAX)}}]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_MAX - 50 and chunk:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}})
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], {"type": "context", "elements": [
            {"type": "mrkdwn", "text": "…more in `monitor log --status sent`"}]}]
    return Message(text=fit_lines([escape(head), *lines], TEXT_MAX), blocks=blocks)


SHORT_TEXT = 1000  # fallback text after Slack answered msg_too_long


def shorten(message: Message, limit: int = SHORT_TEXT) -> Message:
    """The same message with its fallback text cut to `limit`, never inside a link or entity.

    Whole lines are kept while they fit; a first line longer than `limit` is cut
    before any unclosed `<…>` and any half entity, so the cut cannot produce markup.
    """
    kept: list[str] = []
    for line in message.text.split("\n"):
        if sum(len(x) + 1 for x in kept) + len(line) > limit - 2:
            break
        kept.append(line)
    if kept:
        text = "\n".join(kept) + ("\n…" if len(kept) < message.text.count("\n") + 1 else "")
    else:
        cut = message.text[: limit - 1]
        if cut.rfind("<") > cut.rfind(">"):
            cut = cut[: cut.rfind("<")]
        text = re.sub(r"&[a-z]*$", "", cut).rstrip() + "…"
    return Message(text=text, blocks=message.blocks)


def plain(text: str) -> str:
    """Console rendering: mrkdwn links reduced to 'label (url)', entities restored."""
    text = re.sub(r"<(https?://[^|>]+)\|([^>]*)>", r"\2 (\1)", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
