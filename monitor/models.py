"""The shared nouns of the monitor: what flows from a source to a Slack receipt.

Data flows one way: Source -> FetchResult -> Item -> Classification -> stored
item -> Alert (outbox row) -> delivery receipt.  These are plain dataclasses so
every layer can build and test them without IO.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
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


class Outcome(StrEnum):
    """What kind of answer a sink got for one post; the outbox decides from this alone."""

    OK = "ok"
    RETRY = "retry"  # not posted (rate-limited): post again after `retry_after`
    UNKNOWN = "unknown"  # may or may not have landed: reconcile (read back) before retrying
    PERMANENT = "permanent"  # this alert can never go to this channel (bad channel, bad target)
    AUTH = "auth"  # the credentials were refused: every post fails alike, keep the alerts
    TOO_LONG = "too_long"  # the service refused the size: resend once shortened
    BAD_LAYOUT = "bad_layout"  # the service refused the layout: resend once as text only


@dataclass(frozen=True)
class Receipt:
    """What a chat service confirmed for one post."""

    kind: Outcome = Outcome.OK
    ts: str | None = None
    channel_id: str | None = None
    error: str | None = None  # the service's own error code or message
    hint: str | None = None  # what to do about `error`, for the log and ops notices
    retry_after: float | None = None  # RETRY: seconds the service asked us to wait

    @property
    def ok(self) -> bool:
        return self.kind is Outcome.OK

    @property
    def permanent(self) -> bool:
        """Retrying cannot help (channel_not_found, invalid_auth)."""
        return self.kind in (Outcome.PERMANENT, Outcome.AUTH)

    @property
    def explained(self) -> str:
        error = self.error or "unknown error"
        return f"{error}: {self.hint}" if self.hint else error


class ReadBackError(Exception):
    """A read-back sink could not say whether a message is there.

    `kind` is UNKNOWN when the service could not be asked (try later) and
    PERMANENT when it refuses to be asked (e.g. a missing history scope).
    """

    def __init__(self, kind: Outcome, error: str) -> None:
        super().__init__(error)
        self.kind, self.error = kind, error
