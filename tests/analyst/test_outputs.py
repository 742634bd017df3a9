"""`monitor export`, `monitor report`, `monitor schema` on a real alert log."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from monitor.analyst.report import build
from monitor.cli import _register, cli
from monitor.config_schema import render
from tests.analyst.conftest import AlertLog

ROOT = Path(__file__).resolve().parents[2]


def test_export_csv_and_jsonl(alert_log: AlertLog, tmp_path: Path) -> None:
    with sqlite3.connect(alert_log.db) as conn:
        total = conn.execute("SELECT COUNT(*) FROM alerts WHERE kind = 'item'").fetchone()[0]
    lines = alert_log.run("export", "--format", "jsonl").stdout.splitlines()
    rows = [json.loads(x) for x in lines]
    assert len(rows) == total == 11
    gallium = next(r for r in rows if r["url"] == "https://wire.example/gallium")
    assert gallium["jurisdiction"] == ["CN"] and "gallium" in gallium["facts"]["items"]
    assert gallium["status"] == "sent" and gallium["sent_at"] and gallium["target"] == "slack"
    assert {"title", "url", "source", "published", "topic", "item", "jurisdiction", "score",
            "channel", "reason", "status", "sent_at"} <= set(gallium)

    out = tmp_path / "alerts.csv"
    alert_log.run("export", "--since", "30d", "--format", "csv", "--output", str(out))
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(table) == total
    zh = next(r for r in table if r["title"] == "稀土价格本周小幅上涨")
    assert (zh["channel"], zh["reason"], zh["status"]) == (
        "#rare-earths", "watch:rare-earths", "sent")
    assert next(r for r in table if r["url"].endswith("/entity"))["jurisdiction"] == "US;CN"


def test_export_never_carries_delivery_urls(alert_log: AlertLog, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(alert_log.db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
        dst.execute("UPDATE alerts SET target = 'json://hooks.example/T0/secret-token',"
                    " last_error = 'POST to json://hooks.example/T0/secret-token failed: 500'"
                    " WHERE id = 1")
    env = dict(alert_log.env, MONITOR_DB=str(copy))
    log = AlertLog(alert_log.root, alert_log.config, copy, env)
    for fmt in ("csv", "jsonl"):
        text = log.run("export", "--format", fmt).stdout
        assert "secret-token" not in text
        assert "apprise:json" in text and "<url> failed: 500" in text


def test_report_table_markdown_and_png(alert_log: AlertLog, tmp_path: Path) -> None:
    png = tmp_path / "week.png"
    md = alert_log.run("report", "--since", "7d", "--format", "md", "--png", str(png)).stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "11 alerts about 9 items." in md
    assert "| new_restriction |" in md and "| JP | 2 |" in md and "| #japan | 2 |" in md
    stories = md.split("## Top stories")[1]
    first = stories.splitlines()[4]
    assert first.startswith("| 2 | 2 | [China imposes export controls on gallium")
    quiet = md.split("## Sources gone quiet")[1]
    assert "**quiet**: newest item" in quiet and "**broken**: failing" in quiet
    assert "wire-en" not in quiet

    _register()
    runner = CliRunner(env={"MONITOR_CONFIG": str(alert_log.config),
                            "MONITOR_DB": str(alert_log.db)})
    result = runner.invoke(cli, ["report"])
    assert result.exit_code == 0, result.output
    assert "Top stories" in result.output and "Sources gone quiet" in result.output


def test_report_counts_items_once_per_label() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 8, tzinfo=UTC)
    row = {"item_id": "a", "channel": "#x", "topic": ["licensing", "new_restriction"],
           "item": [], "jurisdiction": ["CN"], "created_at": "2026-01-07T10:00:00Z"}
    report = build([row, dict(row, channel="#y")], [], [], datetime(2026, 1, 1, tzinfo=UTC), now)
    assert report.by["channel"] == {"#x": 1, "#y": 1}
    assert report.by["jurisdiction"] == {"CN": 1}
    assert len(report.per_day) == 8 and report.per_day["2026-01-07"] == {"licensing": 1}


def test_schema_is_committed_and_current(alert_log: AlertLog) -> None:
    committed = (ROOT / "config" / "monitor.schema.json").read_text(encoding="utf-8")
    assert committed == render(), "run: monitor schema > config/monitor.schema.json"
    printed = alert_log.run("schema").stdout
    assert json.loads(printed)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    first = (ROOT / "config" / "monitor.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=monitor.schema.json"


def test_schema_describes_keys_and_durations() -> None:
    schema = json.loads(render())
    assert schema["additionalProperties"] is False
    rule = schema["$defs"]["WatchRule"]["properties"]
    assert {"keywords", "query", "labels", "min_score", "exclude", "sources", "lang"} <= set(rule)
    interval = schema["$defs"]["Defaults"]["properties"]["interval"]
    assert {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"} in interval[
        "anyOf"]
    assert "json" in schema["$defs"]["SourceConfig"]["properties"]  # the YAML key, not json_map


def test_report_counts_analyst_feedback(alert_log: AlertLog, tmp_path: Path) -> None:
    import shutil
    import sqlite3
    from dataclasses import replace

    copy = tmp_path / "judged.db"
    shutil.copy(alert_log.db, copy)  # the shared alert log stays unjudged for other tests
    log = replace(alert_log, db=copy, env={**alert_log.env, "MONITOR_DB": str(copy)})
    with sqlite3.connect(copy) as conn:
        alerted = [r[0] for r in conn.execute(
            "SELECT DISTINCT item_id FROM alerts WHERE kind = 'item' ORDER BY item_id LIMIT 3")]
    log.run("label", alerted[0], "--relevant")
    log.run("label", alerted[1], "--relevant")
    log.run("label", alerted[2], "--not-relevant")
    md = log.run("report", "--since", "7d", "--format", "md").stdout
    feedback = md.split("## Analyst feedback")[1]
    row = next(line for line in feedback.splitlines() if line.startswith("| 20"))
    # items judged, relevant, not relevant, relabelled, precision
    assert row.split("|")[2:7] == [" 3 ", " 2 ", " 1 ", " 0 ", " 0.67 "]
    table = log.run("report", "--since", "7d").stdout
    assert "Analyst feedback" in table and "0.67" in table
