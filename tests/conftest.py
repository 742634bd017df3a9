"""Shared fixtures: loopback feed server and fake Slack Web API."""

from __future__ import annotations

import os

import pytest

from tests.fakes.feeds import feed_server  # noqa: F401  (fixture)
from tests.fakes.slack import fake_slack  # noqa: F401  (fixture)

# Tests talk only to 127.0.0.1: make sure no proxy variable reroutes them.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)


@pytest.fixture(autouse=True, scope="session")
def _classifier_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The derived classifier cache goes to a temp dir (also for `monitor` subprocesses)."""
    os.environ["MONITOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("classifier-cache"))


@pytest.fixture(autouse=True)
def _no_real_slack(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own token must never reach tests."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_API_URL", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
