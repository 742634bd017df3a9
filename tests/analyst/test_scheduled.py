"""The scheduled report: due times, one post per period, files into the summary's thread."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.analyst.scheduled import due_period, post_due_report, run_due_report
from monitor.config import Config, ReportConfig
from monitor.store import open_db
from tests.analyst.conftest import AlertLog
from tests.fakes.slack import FakeSlack


@pytest.mark.parametrize(("cfg", "now", "expected"), [
    ({"every": "weekly", "day": "mon", "time": "09:00", "timezone": "Europe/Brussels"},
     "2026-12-09T12:00:00+00:00", "2026-12-07T08:00:00+00:00"),  # Wednesday: last Monday
    ({"every": "weekly", "day": "mon", "time": "09:00", "timezone": "Europe/Brussels"},
     "2026-12-07T07:59:00+00:00", "2026-11-30T08:00:00+00:00"),  # Monday, before 09:00 local
    ({"every": "daily", "time": "06:30"}, "2026-12-09T06:30:00+00:00",
     "2026-12-09T06:30:00+00:00"),
    ({"every": "daily", "time": "23:00", "timezone": "Asia/Tokyo"}, "2026-12-09T13:00:00+00:00",
     "2026-12-08T14:00:00+00:00"),
])
def test_due_period(cfg: dict[str, str], now: str, expected: str) -> None:
    report = ReportConfig.model_validate({"channel": "#weekly", **cfg})
    assert due_period(report, datetime.fromisoformat(now)) == datetime.fromisoformat(expected)


def _config(alert_log: AlertLog, tmp_path: Path) -> Config:
    db = tmp_path / "monitor.db"
    shutil.copy(alert_log.db, db)
    return Config.model_validate({"database": str(db), "report": {
        "channel": "#weekly", "every": "daily", "time": "00:00"}})


def test_posts_summary_then_files_in_its_thread_once(
        alert_log: AlertLog, tmp_path: Path, fake_slack: FakeSlack) -> None:
    config = _config(alert_log, tmp_path)
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url}
    assert run_due_report(config, env) is not None
    (summary,) = fake_slack.messages("#weekly")
    assert "11 alerts about 9 items" in summary["text"]
    assert "<https://wire.example/gallium|China imposes export controls" in summary["text"]
    files = fake_slack.files(fake_slack.channel_id("#weekly"))
    assert sorted(f["filename"].rsplit(".", 1)[1] for f in files) == ["md", "png"]
    assert all(f["thread_ts"] == summary["ts"] for f in files)
    md = next(f for f in files if f["filename"].endswith(".md"))["data"].decode()
    assert "## Top stories" in md and "商务部公告" in md
    png = next(f for f in files if f["filename"].endswith(".png"))["data"]
    assert png[:4] == b"\x89PNG"

    assert run_due_report(config, env) is None  # the same period: nothing more
    assert len(fake_slack.messages("#weekly")) == 1 and len(fake_slack.files()) == 2


def test_failed_upload_retries_files_only(
        alert_log: AlertLog, tmp_path: Path, fake_slack: FakeSlack) -> None:
    config = _config(alert_log, tmp_path)
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url}
    now = datetime.now(UTC)
    fake_slack.channel_errors[fake_slack.channel_id("#weekly")] = "internal_error"
    assert post_due_report(config, open_db(config.database), env, now) is None
    assert len(fake_slack.messages("#weekly")) == 1 and fake_slack.files() == []
    row = open_db(config.database).execute(
        "SELECT status, attempts, last_error FROM reports").fetchone()
    assert row == ("pending", 1, "internal_error")

    fake_slack.channel_errors.clear()
    assert post_due_report(config, open_db(config.database), env, now) is not None
    assert len(fake_slack.messages("#weekly")) == 1  # the summary was not repeated
    assert {f["thread_ts"] for f in fake_slack.files()} == {
        fake_slack.messages("#weekly")[0]["ts"]}


def test_permanent_error_gives_up(alert_log: AlertLog, tmp_path: Path,
                                  fake_slack: FakeSlack) -> None:
    config = _config(alert_log, tmp_path)
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url}
    fake_slack.channel_errors["#weekly"] = "channel_not_found"
    assert run_due_report(config, env) is None
    assert run_due_report(config, env) is None
    assert fake_slack.count("chat.postMessage") == 1  # failed for good: no retry storm
