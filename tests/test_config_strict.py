"""Config that cannot silently mislead: duplicates, floors and YAML errors on the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import MIN_INTERVAL, load_config
from monitor.errors import ConfigError

BASE = """\
database: data/x.db
defaults:
  interval: 15m
sources:
  - name: one
    url: https://example.org/1.xml
  - name: two
    url: https://example.org/2.xml
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    p = tmp_path / "monitor.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    return [x.replace(f"{p}:", "L") for x in e.value.problems]


def test_duplicate_top_level_key_is_an_error(tmp_path: Path) -> None:
    # the case: a second `sources:` silently dropped the first block's sources
    text = BASE + "alerts:\n  channel: '#x'\nsources:\n  - name: three\n    url: https://e.org/3\n"
    assert problems(tmp_path, text) == [
        "L11: duplicate key 'sources' (first on line 4); YAML would keep only the last one"]


def test_duplicate_nested_key_is_an_error(tmp_path: Path) -> None:
    text = BASE.replace("  interval: 15m\n", "  interval: 15m\n  timeout: 5s\n  interval: 1h\n")
    assert problems(tmp_path, text)[0].startswith("L5: duplicate key 'interval' (first on line 3)")


def test_duplicate_source_name_names_its_line(tmp_path: Path) -> None:
    text = BASE.replace("name: two", "name: one")
    assert problems(tmp_path, text) == [
        "L7: sources[1].name: duplicate source name 'one' (first on line 5); names key the"
        " database and alerts"]


@pytest.mark.parametrize(("line", "expected"), [
    ("  interval: 0s", "L3: defaults.interval: interval must be at least 30s"),
    ("  interval: 1ms", "L3: defaults.interval: interval must be at least 30s"),
    ("  interval: 29s", "L3: defaults.interval: interval must be at least 30s"),
    ("  timeout: 0s", "L3: defaults.timeout: must be greater than 0"),
    ("  max_bytes: 0", "L3: defaults.max_bytes: must be greater than 0"),
    ("  retention: 1h", "L3: defaults.retention: retention must be at least 1d"),
])
def test_floors(tmp_path: Path, line: str, expected: str) -> None:
    found = problems(tmp_path, BASE.replace("  interval: 15m", line))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_per_source_interval_floor(tmp_path: Path) -> None:
    text = BASE.replace("url: https://example.org/2.xml", "url: https://example.org/2.xml\n"
                        "    interval: 10s")
    assert problems(tmp_path, text)[0].startswith("L9: sources[1].interval: interval must be"
                                                  f" at least {MIN_INTERVAL:g}s")


def test_floor_itself_and_ops_keys_load(tmp_path: Path) -> None:
    p = tmp_path / "monitor.yaml"
    p.write_text(BASE.replace("interval: 15m", "interval: 30s\n  retention: 365d")
                 + "ops:\n  listen: 127.0.0.1:9108\n", encoding="utf-8")
    cfg = load_config(p)
    assert cfg.defaults.interval == 30 and cfg.defaults.retention == 365 * 86400
    assert cfg.ops.listen == "127.0.0.1:9108"


@pytest.mark.parametrize(("text", "expected"), [
    # a key missing its colon: PyYAML notices on the next line; the fix is on this one
    (BASE.replace("    url: https://example.org/1.xml", "    url https://example.org/1.xml"),
     "L6: invalid YAML: while scanning a simple key: could not find expected ':'"),
    # an unclosed quote is reported where it opened, not at the end of the file
    (BASE + "alerts:\n  channel: \"#abc\n  threshold: 0.5\n", "L10: invalid YAML: while"
     " scanning a quoted scalar"),
    # an unclosed flow mapping: the line that opened it
    (BASE.replace("defaults:\n  interval: 15m", "defaults: {interval: 15m"),
     "L2: invalid YAML: while parsing a flow mapping"),
    # bad indentation: the offending line itself
    (BASE.replace("    url: https://example.org/2.xml", "   url: https://example.org/2.xml"),
     "L8: invalid YAML: expected <block end>"),
])
def test_yaml_errors_point_at_the_line_to_fix(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert found[0].startswith(expected), found


def test_listen_must_be_host_port(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + "ops:\n  listen: 'localhost'\n")
    assert found == ["L10: ops.listen: listen must be host:port, e.g. 127.0.0.1:9108"]
