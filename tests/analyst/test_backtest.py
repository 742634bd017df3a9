"""`monitor backtest`: the current config against a proposed one, over the stored items."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.analyst.conftest import RULES, AlertLog

JAPAN_CHIPS = """\
  - name: japan-chips
    query: '(輸出管理 OR "export control") AND (semiconductor OR 半導体) AND NOT tariff'
    channel: "#chips"
"""


def proposed(log: AlertLog, tmp_path: Path, rules: str, threshold: str = "0.5") -> Path:
    text = log.config.read_text(encoding="utf-8")
    text = text.replace(RULES, rules).replace("threshold: 0.5", f"threshold: {threshold}")
    path = tmp_path / "new.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_same_config_changes_nothing(alert_log: AlertLog) -> None:
    proc = alert_log.run("backtest", "--config", str(alert_log.config), "--json")
    result = json.loads(proc.stdout)
    assert result["added"] == [] and result["removed"] == []
    assert result["unchanged"] == 11  # every alert the run raised, replayed


def test_new_rule_threshold_and_keywords(alert_log: AlertLog, tmp_path: Path) -> None:
    rules = RULES.replace('"稀土", ', "") + JAPAN_CHIPS
    new = proposed(alert_log, tmp_path, rules, threshold="0.7")
    before = alert_log.db.stat().st_mtime_ns
    proc = alert_log.run("backtest", "--config", str(new), "--since", "30d", "--json")
    result = json.loads(proc.stdout)
    assert set(result) == {"added", "removed", "unchanged"}
    added = {(c["channel"], c["reason"], c["title"]) for c in result["added"]}
    assert added == {
        ("#chips", "watch:japan-chips",
         "経済産業省、先端半導体製造装置23品目を輸出管理の対象に追加"),
        ("#chips", "watch:japan-chips",
         "Japan tightens export controls on semiconductor manufacturing equipment")}
    removed = {(c["channel"], c["reason"], c["title"]) for c in result["removed"]}
    # The classifier's alerts scoring under the new threshold drop out; which ones
    # depends on the shipped model, so read the stored scores instead of naming them.
    with sqlite3.connect(alert_log.db) as conn:
        below = {("#export-controls", "classifier", title) for (title,) in conn.execute(
            "SELECT i.title FROM alerts a JOIN items i ON i.id = a.item_id"
            " WHERE a.reason = 'classifier' AND i.score < 0.7")}
    assert removed == {("#rare-earths", "watch:rare-earths", "稀土价格本周小幅上涨"), *below}
    assert all(set(c) == {"item_id", "channel", "reason", "title"} for c in result["added"])
    assert result["unchanged"] == 11 - len(removed)
    assert alert_log.db.stat().st_mtime_ns == before  # posts and writes nothing

    table = alert_log.run("backtest", "--config", str(new)).stdout
    assert "#chips" in table and "+2" in table
    assert (f"2 added, {len(removed)} removed, {11 - len(removed)} unchanged;"
            " nothing was posted.") in table


def test_broken_new_config_is_a_config_error(alert_log: AlertLog, tmp_path: Path) -> None:
    new = proposed(alert_log, tmp_path, RULES + "  - name: bad\n    query: 'a OR'\n")
    proc = alert_log.run("backtest", "--config", str(new), check=False)
    assert proc.returncode == 2
    assert f"{new}:" in proc.stderr and "watch[2].query: bad query at position 5" in proc.stderr
