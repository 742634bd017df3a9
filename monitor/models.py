"""The shared nouns of the monitor: what flows from a source to a Slack receipt.

Data flows one way: Source -> FetchResult -> Item -> Classification -> stored
item -> Alert (outbox row) -> delivery receipt.  These are plain dataclasses so
every layer can build and test them without IO.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

FetchStatus = Literal["ok", "not_modified", "error"]
AlertStatus = Literal["pending", "sent", "failed", "digest"]


@dataclass(frozen=True)
class Item:
    """One news entry as a source published it, normalised.

    `id` is stable across polls: derived from the GUID, else the canonical URL,
    else a hash of the normalised title (see `monitor.sources.identity`).
    """

    id: str
    source: str
    title: str
    summary: str = ""
    url: str | None = None
    canonical_url: str | None = None
    guid: str | None = None
    published: datetime | None = None  # timezone-aware UTC, never in the future
    lang: str | None = None
    title_key: str = ""  # normalised title used for cross-outlet matching


@dataclass(frozen=True)
class Validators:
    """A source's conditional-GET validators from its last good response.

    The store keeps them; the sources layer only sends them back as
    If-None-Match / If-Modified-Since, so it needs this much and no more.
    """

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    """What one poll of one source produced."""

    source: str
    status: FetchStatus
    items: list[Item] = field(default_factory=list)
    error: str | None = None  # human-readable, specific; never a traceback
    warnings: list[str] = field(default_factory=list)
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None  # seconds the server asked us to wait

    @property
    def ok(self) -> bool:
        return self.status != "error"


@dataclass(frozen=True)
class Classification:
    """The classifier's verdict on one item, in taxonomy label IDs."""

    relevant: bool
    score: float
    topic: tuple[str, ...] = ()
    item: tuple[str, ...] = ()
    jurisdiction: tuple[str, ...] = ()
    why: tuple[str, ...] = ()
    facts: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self, item_id: str) -> dict[str, object]:
        return {
            "id": item_id,
            "relevant": self.relevant,
            "score": round(self.score, 4),
            "topic": list(self.topic),
            "item": list(self.item),
            "jurisdiction": list(self.jurisdiction),
            "why": list(self.why),
        }


@dataclass(frozen=True)
class Alert:
    """One outbox row: deliver `item_id` to `channel` once."""

    id: int
    item_id: str | None
    channel: str
    reason: str  # "classifier", "watch:<rule>", "ops", "digest"
    status: AlertStatus
    attempts: int = 0
    last_error: str | None = None
    ts: str | None = None
    kind: str = "item"  # "item" | "ops" | "digest"
    payload: dict[str, Any] | None = None  # ops/digest text (JSON), never item text
    created_at: str = ""
    sent_at: str | None = None
    target: str = "slack"  # "slack" (or the console without a token) or an apprise URL
    story_id: str | None = None
    attempt_started_at: str | None = None  # set while a post's outcome is unknown
    next_attempt_at: str | None = None  # backoff: not before this time


@dataclass(frozen=True)
class Receipt:
    """What a chat service confirmed for one post."""

    ok: bool
    ts: str | None = None
    channel_id: str | None = None
    error: str | None = None
    permanent: bool = False  # retrying cannot help (channel_not_found, invalid_auth)
    retry_after: float | None = None
