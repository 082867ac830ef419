"""Date parsing shared by the CLI, the planner and Dagster: validated before any SQL runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidDateError(ValueError):
    """A date argument that is not a real YYYY-MM-DD calendar date."""


def parse_iso_date(text: str, name: str = "date") -> date:
    """`2023-11-01` -> date; anything else raises InvalidDateError naming the argument."""
    value = str(text).strip()
    if not _ISO_DATE.match(value):
        raise InvalidDateError(f"{name}={text!r} is not a date: expected YYYY-MM-DD, e.g. 2023-11-01")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidDateError(f"{name}={text!r} is not a calendar date ({error})") from None


def parse_date_range(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """Both ends validated; end before start is refused."""
    start_date = parse_iso_date(start, "start") if start else None
    end_date = parse_iso_date(end, "end") if end else None
    if start_date and end_date and end_date < start_date:
        raise InvalidDateError(f"end {end_date} is before start {start_date}")
    return start_date, end_date


def parse_season(text: str) -> int:
    """`2023-24` (the form used everywhere) or `2023` -> 2023, the season's start year."""
    value = str(text).strip()
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", value)
    if not match or (match.group(2) and int(match.group(2)) != (int(match.group(1)) + 1) % 100):
        raise InvalidDateError(f"season {text!r}: expected a season such as 2023-24")
    return int(match.group(1))


def days(start: date, end: date) -> Iterator[date]:
    """Every calendar date from start to end, both included."""
    current = start
    while current <= end:
        yield current
        current += timedelta(days=1)


def season_label(start_year: int) -> str:
    """2021 -> "2021-22"."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def format_date_ranges(dates: list[date], limit: int | None = None) -> str:
    """[d1, d2, d3, d7] -> "d1..d3, d7", the first `limit` ranges then " ..."."""
    ranges = contiguous_ranges(dates)
    shown = ranges if limit is None else ranges[:limit]
    text = ", ".join(str(first) if first == last else f"{first}..{last}" for first, last in shown)
    return text + (" ..." if len(shown) < len(ranges) else "")


def contiguous_ranges(dates: list[date]) -> list[tuple[date, date]]:
    """[d1, d2, d3, d7] -> [(d1, d3), (d7, d7)] for consecutive calendar dates."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(dates)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
