"""One CLI: --version, one exit-code scheme, --config/--json, SQL filters, tables that fit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.models import Classification, Item
from monitor.store import open_db
from monitor.store.items import AlertRequest, insert_item

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC).replace(microsecond=0)


def monitor(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "MONITOR_", "LOG_"))}
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=ROOT,
                          env={**base, **env}, capture_output=True, text=True, timeout=300)


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    """A config whose database holds one old failure under 200 newer sent alerts."""
    db = open_db(tmp_path / "m.db")
    hot = Classification(relevant=True, score=0.9, topic=("new_restriction",))
    for n in range(201):
        item = Item(id=f"i{n}", source="wire", title=f"Export control notice {n}",
                    url=f"https://x.org/{n}", canonical_url=f"https://x.org/{n}",
                    title_key=f"k{n}")
        insert_item(db, item, hot, [AlertRequest("#ec" if n else "#gone", "classifier")],
                    NOW - timedelta(hours=300 - n))
    db.execute("UPDATE alerts SET status = 'sent', ts = '1.1' WHERE item_id != 'i0'")
    db.execute("UPDATE alerts SET status = 'failed', last_error = 'channel_not_found'"
               " WHERE item_id = 'i0'")
    db.conn.commit()
    path = tmp_path / "custom.yaml"
    path.write_text(f"database: {tmp_path / 'm.db'}\nsources: []\n", encoding="utf-8")
    return path


def test_version() -> None:
    out = monitor("--version")
    assert out.returncode == 0
    name, version = out.stdout.split()
    assert name == "monitor" and version[0].isdigit()


def test_log_filters_in_sql_and_takes_config(cfg: Path) -> None:
    # the failure is older than limit x 4 newer alerts: a Python-side filter never saw it
    out = monitor("log", "--config", str(cfg), "--status", "failed", "--json", "--limit", "5")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["status"], r["channel"]) for r in rows] == [("failed", "#gone")]
    by_channel = monitor("log", "--config", str(cfg), "--channel", "#gone", "--json")
    assert len(by_channel.stdout.splitlines()) == 1


def test_tables_fit_the_terminal(cfg: Path) -> None:
    for width in (80, 132):
        out = monitor("log", "--config", str(cfg), "--limit", "3", COLUMNS=str(width))
        assert out.returncode == 0, out.stderr
        assert max(len(line) for line in out.stdout.splitlines()) <= width


@pytest.mark.parametrize("args", [["log"], ["sources"], ["backup", "x.db"],
                                  ["check-config"], ["send-test", "#x"]])
def test_unusable_config_exits_2_everywhere(tmp_path: Path, args: list[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - name: a\n    urll: x\n", encoding="utf-8")
    out = monitor(*args, MONITOR_CONFIG=str(bad))
    assert out.returncode == 2, (args, out.stdout, out.stderr)
    assert "urll" in out.stderr and "Traceback" not in out.stderr


def test_health_exits_1_never_2_for_a_broken_config(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [\n", encoding="utf-8")
    out = monitor("health", "--config", str(bad))
    assert out.returncode == 1  # Docker reserves 2 in health checks
    assert out.stdout.startswith("unhealthy: config:")


def test_unknown_log_settings_are_refused() -> None:
    assert monitor("--version", LOG_FORMAT="xml").returncode == 0  # eager: before setup
    out = monitor("check-config", LOG_FORMAT="xml")
    assert out.returncode == 2 and "LOG_FORMAT='xml'" in out.stderr
    out = monitor("check-config", LOG_LEVEL="LOUD")
    assert out.returncode == 2 and "LOG_LEVEL='LOUD'" in out.stderr


def test_json_mode_errors_are_json(tmp_path: Path) -> None:
    out = monitor("run", "--once", MONITOR_CONFIG=str(tmp_path / "missing.yaml"),
                  LOG_FORMAT="json")
    assert out.returncode == 2
    lines = [json.loads(line) for line in out.stderr.splitlines()]
    assert lines and lines[-1]["level"] == "error" and "missing.yaml" in lines[-1]["error"]
