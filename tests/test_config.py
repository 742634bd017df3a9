"""Config validation names file, line and key; hot reload keeps the last good config."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from monitor.config import ConfigWatcher, load_config, parse_duration
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
database: data/x.db
defaults:
  interval: 15m
  backlog: 3d
sources:
  - name: mofcom-news
    url: https://example.org/feed.xml
alerts:
  channel: "#export-controls"
  threshold: 0.5
  pace: 1s
watch:
  - name: rare-earths
    keywords: ["rare earth", "稀土"]
    channel: "#rare-earths"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "monitor.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_interfaces_minimum_config_loads(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.defaults.interval == 900
    assert cfg.backlog().days == 3
    assert cfg.sources[0].kind == "feed"
    assert cfg.alerts.pace == 1.0
    assert cfg.watch[0].channel == "#rare-earths"


@pytest.mark.parametrize("name", ["monitor.yaml", "demo.yaml"])
def test_shipped_configs_are_valid(name: str) -> None:
    cfg = load_config(ROOT / "config" / name)
    assert cfg.sources


def test_unknown_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD.replace("    url: https://example.org/feed.xml",
                                     "    url: https://example.org/feed.xml\n    intervall: 5m"))
    with pytest.raises(ConfigError) as e:
        load_config(p)
    (problem,) = e.value.problems
    assert problem.startswith(f"{p}:8: sources[0].intervall")
    assert "did you mean 'interval'" in problem


def test_every_problem_is_listed(tmp_path: Path) -> None:
    bad = GOOD.replace("threshold: 0.5", "threshold: 7").replace("interval: 15m", "interval: soon")
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, bad))
    text = "\n".join(e.value.problems)
    assert ":3: defaults.interval: not a duration" in text
    assert ":10: alerts.threshold" in text


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, GOOD + "  - name: [unclosed\n"))
    assert "invalid YAML" in e.value.problems[0]
    assert f"{tmp_path}/monitor.yaml:" in e.value.problems[0]


def test_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write(tmp_path, GOOD)
    monkeypatch.setenv("MONITOR_CONFIG", str(p))
    monkeypatch.setenv("MONITOR_DB", str(tmp_path / "other.db"))
    assert load_config().database == str(tmp_path / "other.db")


def test_durations() -> None:
    assert [parse_duration(v) for v in ("30s", "15m", "2h", "3d", "0s", 5)] == [
        30, 900, 7200, 259200, 0, 5]
    with pytest.raises(ValueError):
        parse_duration("fortnight")


def test_hot_reload_keeps_last_good_config(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD)
    watcher = ConfigWatcher(p)
    p.write_text(GOOD.replace("threshold: 0.5", "threshold: nope"), encoding="utf-8")
    os.utime(p, (time.time() + 5, time.time() + 5))
    assert watcher.poll() is False
    assert watcher.config.alerts.threshold == 0.5
    assert watcher.last_error is not None and "alerts.threshold" in str(watcher.last_error)
    p.write_text(GOOD.replace("threshold: 0.5", "threshold: 0.7"), encoding="utf-8")
    os.utime(p, (time.time() + 10, time.time() + 10))
    assert watcher.poll() is True
    assert watcher.config.alerts.threshold == 0.7


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1%25eth0]/feed",
    "http://metadata.google.internal/computeMetadata/v1/", "https://[::ffff:169.254.169.254]/",
])
def test_link_local_and_metadata_urls_are_config_errors(tmp_path: Path, url: str) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(f"sources:\n  - name: a\n    url: \"{url}\"\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(p)
    assert f"{p}:3: sources[0].url: url refused" in info.value.problems[0]


def test_private_and_loopback_urls_are_the_operators_choice(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text("sources:\n  - {name: a, url: 'http://127.0.0.1:8080/f'}\n"
                 "  - {name: b, url: 'http://10.0.0.5/f', allow_private: true}\n",
                 encoding="utf-8")
    assert [s.allow_private for s in load_config(p).sources] == [False, True]
