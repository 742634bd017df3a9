"""The Slack app manifest in the README is valid YAML and asks for what the monitor uses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_manifest_is_one_paste() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Feedback from Slack"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    manifest = yaml.safe_load("\n".join(line[3:] if line.startswith("   ") else line
                                        for line in block.group(1).splitlines()))
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert {"chat:write", "channels:history", "groups:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])
    assert "connections:write" in section  # the app-level token step
