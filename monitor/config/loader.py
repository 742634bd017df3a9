"""Read the YAML config; every problem names file, line and key.

PyYAML forgets where things were, so a custom loader records the line of every
key and list item; pydantic's error locations are then mapped back to those
lines.  All problems are collected and raised together in one ConfigError, so a
person fixes the file in one pass.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from monitor.config.schema import (
    AlertsConfig,
    ChannelConfig,
    Config,
    Defaults,
    HtmlOptions,
    JsonOptions,
    LabelFilter,
    OpsConfig,
    ReportConfig,
    RetrainConfig,
    SourceConfig,
    WatchRule,
)
from monitor.errors import ConfigError

DEFAULT_CONFIG = "config/monitor.yaml"


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
