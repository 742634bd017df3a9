from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.health_commands import COMMANDS, sources_cmd


def test_sources_command_json_and_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text("sources:\n  - name: mofcom-news\n    url: http://127.0.0.1:9/feed\n",
                   encoding="utf-8")
    monkeypatch.setenv("MONITOR_CONFIG", str(cfg))
    monkeypatch.setenv("MONITOR_DB", str(tmp_path / "m.db"))
    assert [sources_cmd] == COMMANDS
    out = CliRunner().invoke(sources_cmd, ["--json"])
    assert out.exit_code == 0, out.output
    row = json.loads(out.output.splitlines()[0])
    assert row["name"] == "mofcom-news" and row["health"] == "new"
    out = CliRunner().invoke(sources_cmd, [])
    assert out.exit_code == 0 and "mofcom-news" in out.output
