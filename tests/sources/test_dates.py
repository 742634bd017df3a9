from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.sources.dates import parse_date

NOW = datetime(2025, 10, 10, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "lang", "expected"), [
    ("2025年10月9日", "zh", datetime(2025, 10, 8, 16, tzinfo=UTC)),
    ("2025-10-09", "zh", datetime(2025, 10, 8, 16, tzinfo=UTC)),
    ("2025年10月9日 14:30", "ja", datetime(2025, 10, 9, 5, 30, tzinfo=UTC)),
    ("2025/10/09", None, datetime(2025, 10, 9, tzinfo=UTC)),
    ("Thu, 09 Oct 2025 08:00:00 GMT", None, datetime(2025, 10, 9, 8, tzinfo=UTC)),
    ("Thu, 09 Oct 2025 08:00:00+0900", None, datetime(2025, 10, 8, 23, tzinfo=UTC)),
    ("2025-10-09T12:00:00+08:00", None, datetime(2025, 10, 9, 4, tzinfo=UTC)),
    ("10/09/2025", None, datetime(2025, 10, 9, tzinfo=UTC)),
    ("09 Oct 2025 12:00:00 EST", None, datetime(2025, 10, 9, 17, tzinfo=UTC)),
])
def test_formats(raw: str, lang: str | None, expected: datetime) -> None:
    assert parse_date(raw, lang=lang, now=NOW) == expected


@pytest.mark.parametrize("raw", ["", "To Be Determined", "0000-00-00", "1970-01-01T00:00:00Z",
                                 "2025-13-45", "yesterday-ish", "9" * 300])
def test_nonsense_is_none(raw: str) -> None:
    assert parse_date(raw, now=NOW) is None


def test_future_is_clamped_to_now() -> None:
    assert parse_date("2099-01-01", now=NOW) == NOW
