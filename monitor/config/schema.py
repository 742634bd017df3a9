"""The config's shape: pydantic models whose validators say what is wrong in words.

The models are frozen: a config is an immutable value passed down explicitly,
and a reload replaces it whole.  Line numbers are not known here; the loader
maps each pydantic error location back to the YAML line.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.config.units import parse_duration, parse_size
from monitor.origins import forbidden_host

DEFAULT_DB = "data/monitor.db"
MIN_INTERVAL = 30.0  # seconds: polling faster is impolite to publishers and never needed
MIN_RETENTION = 86400.0


def _floor_interval(v: float) -> float:
    if v < MIN_INTERVAL:
        raise ValueError(f"interval must be at least {MIN_INTERVAL:g}s (polling faster only"
                         " burdens the publisher)")
    return v


def _positive(v: float) -> float:
    if v <= 0:
        raise ValueError("must be greater than 0")
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Strict):
    interval: float = 15 * 60
    backlog: float = 3 * 86400
    timeout: float = 20.0  # overall deadline for one fetch, connect included
    connect_timeout: float = 10.0
    max_bytes: int = 15 * 2**20
    concurrency: int = 16
    per_host: int = 2
    user_agent: str = "ExportControlMonitor/0.1 (+https://github.com/export-control-monitor)"

    retention: float | None = None  # delete items older than this (none: keep forever)

    _d = field_validator("interval", "backlog", "timeout", "connect_timeout", mode="before")(
        lambda v: parse_duration(v))
    _r = field_validator("retention", mode="before")(
        lambda v: None if v is None else parse_duration(v))
    _s = field_validator("max_bytes", mode="before")(lambda v: parse_size(v))
    _i = field_validator("interval", mode="after")(lambda v: _floor_interval(v))
    _p = field_validator("timeout", "connect_timeout", "max_bytes", "concurrency", "per_host",
                         mode="after")(lambda v: _positive(v))

    @field_validator("retention", mode="after")
    @classmethod
    def _long_enough(cls, v: float | None) -> float | None:
        if v is not None and v < MIN_RETENTION:
            raise ValueError("retention must be at least 1d (items are the alert log)")
        return v


class HtmlOptions(_Strict):
    """CSS selectors for a listing page; each selector is relative to `item`."""

    item: str
    title: str = "a"
    link: str = "a"  # the element whose href is the article URL
    date: str | None = None
    summary: str | None = None
    follow: bool = False  # fetch each new article once to extract its lead
    date_format: str | None = None


class JsonOptions(_Strict):
    """Dotted paths from a JSON API response to item fields."""

    items: str  # e.g. "results"
    id: str | None = None
    title: str = "title"
    link: str = "url"
    date: str | None = None
    summary: str | None = None


class SourceConfig(_Strict):
    name: str
    url: str
    kind: Literal["feed", "html", "json"] = "feed"
    interval: float | None = None
    enabled: bool = True
    lang: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    html: HtmlOptions | None = None
    json_map: JsonOptions | None = Field(default=None, alias="json")
    unverified: bool = False  # URL not confirmed reachable when written
    # Redirects and article links into loopback/private space are refused unless the
    # configured URL is itself there, or this says the source lives on an internal host.
    allow_private: bool = False
    note: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _d = field_validator("interval", mode="before")(
        lambda v: None if v is None else parse_duration(v))
    _i = field_validator("interval", mode="after")(
        lambda v: None if v is None else _floor_interval(v))

    @field_validator("url")
    @classmethod
    def _http_only(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError("url must start with http:// or https://")
        why = forbidden_host(v)
        if why:
            raise ValueError(f"url refused: {why} (never fetched)")
        return v

    @model_validator(mode="after")
    def _kind_options(self) -> SourceConfig:
        if self.kind == "html" and self.html is None:
            raise ValueError("kind: html needs an `html:` block with at least `item:`")
        if self.kind == "json" and self.json_map is None:
            raise ValueError("kind: json needs a `json:` block with at least `items:`")
        return self


def _hh_mm(value: str, key: str, example: str) -> str:
    """A 24-hour clock time (digest_time, report time)."""
    if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
        raise ValueError(f"{key} must be HH:MM (24h), e.g. '{example}'")
    return value


class ChannelConfig(_Strict):
    """Per-channel delivery settings, keyed by channel name under `channels:`."""

    digest: Literal["off", "daily"] = "off"
    digest_time: str = "08:00"
    timezone: str = "UTC"
    digest_below: float | None = None  # scores under this go to the digest
    broadcast_replies: bool = False
    targets: list[str] = Field(default_factory=list)  # apprise URLs

    _t = field_validator("digest_time")(lambda v: _hh_mm(v, "digest_time", "08:30"))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(
                f"unknown timezone {v!r} (use an IANA name like Europe/Brussels)") from e
        return v


class AlertsConfig(_Strict):
    channel: str = "#export-controls"
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    pace: float = 1.0
    ops_channel: str | None = None
    failures_before_ops_alert: int = Field(default=3, ge=1)
    silence_factor: float = Field(default=6.0, gt=1.0)
    max_attempts: int = Field(default=8, ge=1)
    retry_backoff: float = 15.0  # first wait after a 5xx/outage; doubles per attempt

    _d = field_validator("pace", "retry_backoff", mode="before")(lambda v: parse_duration(v))


class ReportConfig(_Strict):
    """`monitor report` posted on a schedule (summary message + Markdown and PNG in its thread)."""

    channel: str
    every: Literal["daily", "weekly"] = "weekly"
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"  # for weekly
    time: str = "09:00"
    timezone: str = "UTC"
    since: float = 7 * 86400  # the period the report covers
    png: bool = True

    _d = field_validator("since", mode="before")(lambda v: parse_duration(v))
    _z = field_validator("timezone")(lambda v: ChannelConfig._zone(v))

    _t = field_validator("time")(lambda v: _hh_mm(v, "time", "09:00"))


class LabelFilter(_Strict):
    """Taxonomy label IDs; each list given must share at least one label with the item."""

    topic: list[str] | None = None
    item: list[str] | None = None
    jurisdiction: list[str] | None = None

    @model_validator(mode="after")
    def _known(self) -> LabelFilter:
        from monitor.classify.taxonomy import ITEMS, JURISDICTIONS, TOPICS

        for kind, known in (("topic", TOPICS), ("item", ITEMS), ("jurisdiction", JURISDICTIONS)):
            given = getattr(self, kind)
            if given is not None and not given:
                raise ValueError(f"labels.{kind} must list at least one label (or be left out)")
            unknown = [x for x in given or () if x not in known]
            if unknown:
                raise ValueError(f"unknown {kind} label(s) {', '.join(map(repr, unknown))}; "
                                 f"known: {', '.join(known)}")
        return self


class WatchRule(_Strict):
    """A watch rule matches when every condition it has holds (interfaces.md, Analyst tools)."""

    name: str
    keywords: list[str] | None = Field(default=None, min_length=1)
    query: str | None = None  # AND / OR / NOT, parentheses, "phrases" (monitor.rules.query)
    labels: LabelFilter | None = None
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    exclude: list[str] = Field(default_factory=list)  # any of these terms vetoes the match
    sources: list[str] | None = None  # only items from these sources
    lang: list[str] | None = None  # only items in these languages (en, zh, ja, ...)
    channel: str | None = None

    @field_validator("keywords", "exclude")
    @classmethod
    def _non_empty(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and any(not str(k).strip() for k in v):
            raise ValueError("terms must not be empty strings")
        return v

    @field_validator("sources", "lang", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @field_validator("query")
    @classmethod
    def _parses(cls, v: str | None) -> str | None:
        from monitor.rules.query import parse

        if v is not None:
            parse(v)  # QuerySyntaxError is a ValueError naming the position in the query
        return v

    @model_validator(mode="after")
    def _has_condition(self) -> WatchRule:
        if not (self.keywords or self.query or self.labels or self.min_score is not None
                or self.sources or self.lang):
            raise ValueError("a watch rule needs at least one of keywords, query, labels, "
                             "min_score, sources, lang")
        return self


class OpsConfig(_Strict):
    """Operations: where `monitor run` serves /healthz and /metrics (MONITOR_LISTEN wins)."""

    listen: str | None = None  # host:port, e.g. 127.0.0.1:9108

    @field_validator("listen")
    @classmethod
    def _host_port(cls, v: str | None) -> str | None:
        if v is not None and v.strip() and not re.match(r"^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$",
                                                        v.strip()):
            raise ValueError("listen must be host:port, e.g. 127.0.0.1:9108")
        return v


class RetrainConfig(_Strict):
    """Background retraining from analyst corrections (Slack feedback, `monitor label`)."""

    enabled: bool = True
    every: float = 7 * 86400  # least time between two retrains
    min_corrections: int = Field(20, ge=1)  # new corrections needed since the last one
    dir: str | None = None  # versioned models; default: models/ beside the database
    holdout: float = Field(0.2, ge=0.0, lt=1.0)  # share of corrections kept for scoring
    tolerance: float = Field(0.0, ge=0.0, le=1.0)  # how much lower a score may be and pass

    _d = field_validator("every", mode="before")(lambda v: parse_duration(v))


class Config(_Strict):
    database: str = DEFAULT_DB
    model: str | None = None  # classifier artifact; None = the one shipped in the package
    defaults: Defaults = Field(default_factory=Defaults)
    sources: list[SourceConfig] = Field(default_factory=list)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    watch: list[WatchRule] = Field(default_factory=list)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    ops: OpsConfig = Field(default_factory=OpsConfig)
    report: ReportConfig | None = None
    retrain: RetrainConfig | None = None  # absent: no background retraining

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for s in self.sources:
            if s.name in seen:
                raise ValueError(f"duplicate source name {s.name!r}")
            seen.add(s.name)
        for i, rule in enumerate(self.watch):
            unknown = [n for n in rule.sources or () if n not in seen]
            if unknown:
                raise ValueError(f"watch[{i}] ({rule.name}): sources: unknown source(s) "
                                 f"{', '.join(map(repr, unknown))}")
        return self

    def interval(self, source: SourceConfig) -> float:
        return source.interval if source.interval is not None else self.defaults.interval

    def backlog(self) -> timedelta:
        return timedelta(seconds=self.defaults.backlog)

    def channel_settings(self, channel: str) -> ChannelConfig:
        return self.channels.get(channel, ChannelConfig())
