"""Publication dates from whatever publishers write, as aware UTC or None.

Fast paths first (RFC 822, ISO 8601, CJK 年月日) because a poll can carry
thousands of entries; dateparser only for the leftovers.  Naive times take the
source's local zone when its language tells us (Chinese ministries write
Beijing time without saying so), otherwise UTC.  Results before 1990 are
treated as garbage (epoch zero, "0000-00-00"), results in the future are
clamped to now: an item cannot have been published after we saw it.
"""

from __future__ import annotations

import re
import time
import warnings
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SKEW = timedelta(minutes=10)

_LANG_TZ = {"zh": "Asia/Shanghai", "ja": "Asia/Tokyo", "ko": "Asia/Seoul"}
_LANG_DATEPARSER = {"zh": ["zh"], "ja": ["ja"], "ko": ["ko"]}

_CJK = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
    r"(?:\s*(\d{1,2})\s*[:：时時]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)
_YMD = re.compile(
    r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?\s*$",
    re.I,
)
_MDY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")  # US government tables


def zone_for(lang: str | None) -> tzinfo:
    name = _LANG_TZ.get(lang or "")
    return ZoneInfo(name) if name else UTC


def clamp(dt: datetime | None, now: datetime | None = None) -> datetime | None:
    """Aware UTC within [1990, now + skew]; None for nonsense."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        dt = dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    now = now or datetime.now(UTC)
    if dt < EARLIEST:
        return None
    if dt > now + FUTURE_SKEW:
        return now
    return dt


def _build(y: str, mo: str, d: str, h: str | None, mi: str | None, s: str | None,
           tz: tzinfo) -> datetime | None:
    try:
        return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                        tzinfo=tz)
    except ValueError:
        return None


def _offset(text: str | None, default: tzinfo) -> tzinfo:
    if not text or text.upper() in ("Z", "UTC", "GMT"):
        return UTC if text else default
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _fast(raw: str, tz: tzinfo) -> datetime | None:
    m = _YMD.match(raw)
    if m:
        y, mo, d, h, mi, s = m.groups()[:6]
        return _build(y, mo, d, h, mi, s, tz=_offset(m.group(7), tz))
    m = _CJK.search(raw)
    if m:
        y, mo, d, h, mi, s = m.groups()
        return _build(y, mo, d, h, mi, s, tz=tz)
    m = _MDY.match(raw)
    if m:
        return _build(m.group(3), m.group(1), m.group(2), None, None, None, tz)
    if "," in raw or re.search(r"[A-Za-z]{3}", raw):
        try:
            dt = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if dt.tzinfo is None:
            # RFC 822 "-0000" means "zone unknown"; the source's zone is the better guess.
            dt = dt.replace(tzinfo=tz)
        return dt
    return None


def _slow(raw: str, tz: tzinfo, lang: str | None) -> datetime | None:
    import dateparser  # imported lazily: it costs ~0.3 s at first use

    settings = {
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": getattr(tz, "key", "UTC"),
        "TO_TIMEZONE": "UTC",
        "PREFER_DATES_FROM": "past",
        "STRICT_PARSING": False,
    }
    langs = _LANG_DATEPARSER.get(lang or "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateparser/regex emit deprecation noise
        try:
            parsed: datetime | None = dateparser.parse(raw[:100], languages=langs,
                                                       settings=settings)
            return parsed
        except (ValueError, TypeError, OverflowError, AttributeError, KeyError):
            return None


def parse_date(raw: str | None, *, lang: str | None = None, now: datetime | None = None,
               fallback: time.struct_time | None = None, slow: bool = True) -> datetime | None:
    """Parse a publisher's date string; `fallback` is feedparser's UTC struct_time."""
    tz = zone_for(lang)
    dt: datetime | None = None
    text = (raw or "").strip()
    if text and len(text) <= 200:
        dt = _fast(text, tz)
    if dt is None and fallback is not None:
        try:
            dt = datetime(*fallback[:6], tzinfo=UTC)
        except (TypeError, ValueError):
            dt = None
    if dt is None and text and slow and len(text) <= 200 and re.search(r"\d", text):
        dt = _slow(text, tz, lang)
    return clamp(dt, now)
