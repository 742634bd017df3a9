"""Source tests read the shared fixture corpus and fetch through the loopback feed server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.feeds import FeedServer

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "fixtures"

def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES} (check out ../shared)")
    return FIXTURES


@pytest.fixture
def server(feed_server: FeedServer) -> FeedServer:
    return feed_server
