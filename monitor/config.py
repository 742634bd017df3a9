"""Load and validate the YAML config; every problem names file, line and key.

The config is an immutable value passed down explicitly: no module reads a
global.  `ConfigWatcher` re-reads the file when it changes and keeps the last
good config when the new one is broken.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Hashable
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from monitor.errors import ConfigError
from monitor.origins import forbidden_host

DEFAULT_CONFIG = "config/monitor.yaml"
DEFAULT_DB = "data/monitor.db"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$", re.I)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20,
               "gb": 10**9, "gib": 2**30}
MIN_INTERVAL = 30.0  # seconds: polling faster is impolite to publishers and never needed
MIN_RETENTION = 86400.0


def parse_duration(value: object) -> float:
    """'30s', '15m', '2h', '3d' (or a bare number of seconds) -> seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 2h, 3d)")
    if seconds < 0:
        raise ValueError("duration must not be negative")
    return seconds


def parse_size(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (m := _SIZE.match(value)):
        return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])
    raise ValueError(f"not a size: {value!r} (use e.g. 512KiB, 15MiB)")


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


class ChannelConfig(_Strict):
    """Per-channel delivery settings, keyed by channel name under `channels:`."""

    digest: Literal["off", "daily"] = "off"
    digest_time: str = "08:00"
    timezone: str = "UTC"
    digest_below: float | None = None  # scores under this go to the digest
    broadcast_replies: bool = False
    targets: list[str] = Field(default_factory=list)  # apprise URLs

    @field_validator("digest_time")
    @classmethod
    def _hh_mm(cls, v: str) -> str:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", v):
            raise ValueError("digest_time must be HH:MM (24h), e.g. '08:30'")
        return v

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

    @field_validator("time")
    @classmethod
    def _hh_mm(cls, v: str) -> str:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", v):
            raise ValueError("time must be HH:MM (24h), e.g. '09:00'")
        return v


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


# --- loading with line numbers ------------------------------------------------

class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping key and list item.

    It also notes duplicate keys, which plain YAML loading resolves silently by
    keeping the last one (a second `sources:` would drop every earlier source).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str, int]] = []  # (line, key, first line)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines: dict[str, int] = {}
    for k, _ in node.value:
        key, line = str(k.value), k.start_mark.line + 1
        if key in lines:
            loader.duplicates.append((line, key, lines[key]))
        else:
            lines[key] = line
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_lines(v) for k, v in obj.items() if k not in ("__lines__", "__line__")}
    if isinstance(obj, list):
        return [_strip_lines(v) for v in obj]
    return obj


def _line_of(raw: Any, loc: tuple[int | str, ...]) -> int | None:
    node, line = raw, None
    for part in loc:
        if isinstance(node, dict):
            line = node.get("__lines__", {}).get(str(part), line)
            node = node.get(part) if part in node else node.get(str(part))
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            if isinstance(node, dict):
                line = node.get("__line__", line)
        else:
            break
    return line


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Config
    for part in loc:
        if isinstance(part, int):
            continue
        if model is Config and part == "channels":
            model = ChannelConfig
            continue
        fields = {f.alias or n: f for n, f in model.model_fields.items()} if model else {}
        f = fields.get(str(part))
        if f is None:
            return model if model is ChannelConfig else None
        ann = f.annotation
        for cand in (Defaults, HtmlOptions, JsonOptions, SourceConfig, AlertsConfig, WatchRule,
                     ChannelConfig, OpsConfig, LabelFilter, ReportConfig, RetrainConfig):
            if ann is cand or cand.__name__ in str(ann):
                model = cand
                break
        else:
            return None
    return model


def _describe(path: Path, raw: Any, err: ErrorDetails) -> str:
    loc = tuple(p for p in err["loc"] if p not in ("function-after",))
    key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    line = _line_of(raw, loc)
    where = f"{path}:{line}" if line else str(path)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        hint = ""
        if parent is not None:
            close = difflib.get_close_matches(str(loc[-1]), _field_names(parent), n=1)
            if close:
                hint = f" (did you mean '{close[0]}'?)"
        msg = f"unknown key{hint}"
    return f"{where}: {key or '(top level)'}: {msg}"


def _yaml_problem(p: Path, e: yaml.YAMLError) -> str:
    """The line a person must fix: PyYAML often reports where it noticed, one line later.

    A scanner error's context mark is where the bad token began (the key lacking
    its ':', the quote never closed); a parser error's problem mark is the
    unexpected token, except for an unclosed [ or {, which opened on its context line.
    """
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    pmark, cmark = getattr(e, "problem_mark", None), getattr(e, "context_mark", None)
    mark = pmark
    if cmark is not None and (isinstance(e, yaml.scanner.ScannerError)
                              or (context or "").startswith("while parsing a flow")):
        mark = cmark
    where = f"{p}:{mark.line + 1}" if mark is not None else str(p)
    extra = ""
    cline: int | None = cmark.line + 1 if cmark is not None else None
    pline: int | None = pmark.line + 1 if pmark is not None else None
    if context and cline is not None and mark is not cmark:
        extra = f" ({context} from line {cline})"
    elif mark is cmark and pline is not None and pline != cline:
        extra = f" (noticed on line {pline})"
    return f"{where}: invalid YAML: {context + ': ' if mark is cmark and context else ''}" \
           f"{problem}{extra}"


def _duplicate_names(p: Path, raw: dict[str, Any]) -> list[str]:
    sources = raw.get("sources")
    if not isinstance(sources, list):
        return []
    first: dict[str, int | None] = {}
    out = []
    for i, src in enumerate(sources):
        if not isinstance(src, dict) or not isinstance(src.get("name"), str):
            continue
        line = src.get("__lines__", {}).get("name") or src.get("__line__")
        name = src["name"]
        if name in first:
            out.append(f"{p}:{line}: sources[{i}].name: duplicate source name '{name}' (first"
                       f" on line {first[name]}); names key the database and alerts")
        else:
            first[name] = line
    return out


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The config file to read: `path` if given, else $MONITOR_CONFIG, else DEFAULT_CONFIG."""
    return Path(path or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read, validate and return the config; raise ConfigError listing every problem."""
    p = config_path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError([f"{p}: cannot read config: {e.strerror or e}"]) from e
    loader = _LineLoader(text)
    try:
        raw = loader.get_single_data()
    except yaml.YAMLError as e:
        raise ConfigError([_yaml_problem(p, e)]) from e
    finally:
        loader.dispose()
    problems = [f"{p}:{line}: duplicate key '{key}' (first on line {first}); YAML would keep"
                " only the last one" for line, key, first in loader.duplicates]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([f"{p}:1: the config must be a mapping of keys (database, sources, ...)"])
    dup_names = _duplicate_names(p, raw)
    problems += dup_names
    try:
        cfg = Config.model_validate(_strip_lines(raw))
    except ValidationError as e:
        problems += [_describe(p, raw, err) for err in e.errors()
                     if not (dup_names and "duplicate source name" in err["msg"])]
    if problems:
        raise ConfigError(problems)
    db = os.environ.get("MONITOR_DB")
    if db:
        cfg = cfg.model_copy(update={"database": db})
    return cfg


class ConfigWatcher:
    """Hot reload: re-read on change, keep the last good config on error."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = config_path(path)
        self.config = load_config(self.path)
        self._mtime = self._stat()
        self.last_error: ConfigError | None = None

    def _stat(self) -> tuple[int, int]:
        try:
            st = self.path.stat()
        except OSError:
            return (-1, -1)
        return (st.st_mtime_ns, st.st_size)

    def poll(self) -> bool:
        """Reload if the file changed; True when a new config took effect."""
        mtime = self._stat()
        if mtime == self._mtime:
            return False
        self._mtime = mtime
        try:
            self.config = load_config(self.path)
        except ConfigError as e:
            self.last_error = e
            return False
        self.last_error = None
        return True
