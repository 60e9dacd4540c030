"""Time zones, dates, datetimes and epoch timestamps → aware UTC values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest_service.normalize.text import clean

# --------------------------------------------------------------------------- time zones

_FIXED_ZONES: dict[str, tzinfo] = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
    "UTC": UTC,
    "GMT": UTC,
    "Z": UTC,
}
# Indonesia has no daylight saving, so fixed offsets are exact when tzdata is missing.
_IANA_FALLBACK = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
    "UTC": "UTC",
    "Etc/UTC": "UTC",
}


@lru_cache(maxsize=64)
def get_tz(name: str) -> tzinfo:
    """A tzinfo for "WIB"/"WITA"/"WIT"/"UTC" or an IANA name; raises ValueError if unknown."""
    key = name.strip()
    if key.upper() in _FIXED_ZONES:
        return _FIXED_ZONES[key.upper()]
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if key in _IANA_FALLBACK:
            return _FIXED_ZONES[_IANA_FALLBACK[key]]
        raise ValueError(f"unknown time zone {key!r}") from exc


# --------------------------------------------------------------------------- dates

# fmt: off
_MONTHS: dict[str, int] = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "february": 2, "feb": 2, "peb": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}
# fmt: on
_WEEKDAY = re.compile(
    r"^(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\b[,\s]*",
    re.IGNORECASE,
)
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_D_MON_Y = re.compile(r"^(\d{1,2})[\s\-/]+([A-Za-z]+)\.?[\s\-/,]+(\d{4})$")
_MON_D_Y = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _make_date(year: int, month: int, day: int) -> date:
    if not 1900 <= year <= 2200:
        raise ValueError(f"year {year} is out of range")
    return date(year, month, day)  # raises ValueError for 31/02 etc.


def parse_date(value: object) -> date | None:
    """A calendar date from ISO, dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy or "12 Januari 2026".

    Indonesian forms are always day-first; two-digit years are refused because a date of
    birth "01/02/03" cannot be read safely.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)
    if text is None:
        return None
    text = _WEEKDAY.sub("", text).strip()
    if "T" in text and _YMD.match(text.split("T", 1)[0]):
        text = text.split("T", 1)[0]
    try:
        if m := _YMD.match(text) or _COMPACT.match(text):
            return _make_date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(text):
            return _make_date(int(m[3]), int(m[2]), int(m[1]))
        if (m := _D_MON_Y.match(text)) and m[2].lower() in _MONTHS:
            return _make_date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
        if (m := _MON_D_Y.match(text)) and m[1].lower() in _MONTHS:
            return _make_date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    except ValueError as exc:
        raise ValueError(f"not a valid date: {exc}") from None
    raise ValueError("unreadable date; use YYYY-MM-DD, DD/MM/YYYY or '12 Januari 2026'")


_TZ_SUFFIX = re.compile(
    r"\s*(?:(WIB|WITA|WIT|UTC|GMT|Z)"
    r"|(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?)\s*$",
    re.IGNORECASE,
)
_TIME_SUFFIX = re.compile(
    r"(?:[T\s,]+|^)(?:pukul|pkl\.?|jam|at)?\s*(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?$",
    re.IGNORECASE,
)


def _split_tz(text: str) -> tuple[str, tzinfo | None]:
    m = _TZ_SUFFIX.search(text)
    if not m or m.start() == 0:
        return text, None
    head = text[: m.start()]
    if m[1]:
        return head, _FIXED_ZONES[m[1].upper()]
    # A bare "-07" could be the end of a date ("2026-01-07"); require a time before it.
    if not re.search(r"\d[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?$", head.rstrip()):
        return text, None
    sign = 1 if m[2] == "+" else -1
    hours, minutes = int(m[3]), int(m[4] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError("UTC offset out of range")
    return head, timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(value: object, default_tz: str | tzinfo = "Asia/Makassar") -> datetime | None:
    """An aware UTC datetime from ISO 8601, Indonesian forms with WIB/WITA/WIT, or naive.

    Naive values are read in ``default_tz`` (the source's zone; South Kalimantan is WITA),
    because upstream forms rarely say which zone they mean. A date alone means midnight.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        text = clean(value)
        if text is None:
            return None
        dt = _parse_datetime_text(text)
    if dt.tzinfo is None:
        tz = get_tz(default_tz) if isinstance(default_tz, str) else default_tz
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


def _parse_datetime_text(text: str) -> datetime:
    if len(text) > 64:
        raise ValueError("datetime text is too long")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    body, tz = _split_tz(text.strip())
    body = _WEEKDAY.sub("", body.strip()).strip()
    clock = time(0, 0)
    if m := _TIME_SUFFIX.search(body):
        hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
        if hour > 24 or minute > 59 or second > 60:
            raise ValueError("not a valid time of day")
        body = body[: m.start()].strip()
        add_day = hour == 24
        clock = time(0 if add_day else hour, minute, min(second, 59))
    else:
        add_day = False
    day = parse_date(body)
    if day is None:
        raise ValueError("datetime has no date")
    dt = datetime.combine(day, clock, tzinfo=tz)
    return dt + timedelta(days=1) if add_day else dt


def from_epoch(value: object) -> datetime | None:
    """An aware UTC datetime from Unix seconds (Telegram ``date``, WhatsApp ``timestamp``).

    Milliseconds are accepted too (13 digits), since some gateways send them.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        raise ValueError("timestamp is not a number") from None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    if not 0 < seconds < 7.3e9:  # before year 2200
        raise ValueError("timestamp is out of range")
    return datetime.fromtimestamp(seconds, UTC)
