"""Load and validate the YAML config; every problem names file, line and key.

The config is an immutable value passed down explicitly: no module reads a
global.  `ConfigWatcher` re-reads the file when it changes and keeps the last
good config when the new one is broken.

Where things live: `units` (durations, sizes), `schema` (the pydantic models),
`loader` (YAML with line numbers, error messages, `load_config`), `watcher`
(hot reload).  Everything is re-exported here, so callers import from
`monitor.config` and need not know the split.
"""

from __future__ import annotations

from monitor.config.loader import DEFAULT_CONFIG, config_path, load_config
from monitor.config.schema import (
    DEFAULT_DB,
    MIN_INTERVAL,
    MIN_RETENTION,
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
from monitor.config.units import parse_duration, parse_size
from monitor.config.watcher import ConfigWatcher

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_DB",
    "MIN_INTERVAL",
    "MIN_RETENTION",
    "AlertsConfig",
    "ChannelConfig",
    "Config",
    "ConfigWatcher",
    "Defaults",
    "HtmlOptions",
    "JsonOptions",
    "LabelFilter",
    "OpsConfig",
    "ReportConfig",
    "RetrainConfig",
    "SourceConfig",
    "WatchRule",
    "config_path",
    "load_config",
    "parse_duration",
    "parse_size",
]
