"""Season labels ("2021-22" <-> 2021) and the key dates of a generated season."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from orchestration.dates import season_label

_LABEL = re.compile(r"^(\d{4})-(\d{2})$")


def _parse_label(text: str) -> int:
    match = _LABEL.match(text.strip())
    if not match:
        raise ValueError(f"bad season {text!r}: expected a season like '2022-23'")
    start = int(match.group(1))
    if int(match.group(2)) != (start + 1) % 100:
        raise ValueError(f"bad season {text!r}: the second year must follow the first (e.g. '{season_label(start)}')")
    if not 1946 <= start <= 2200:
        raise ValueError(f"bad season {text!r}: start year out of range")
    return start


def parse_seasons(spec: str) -> list[int]:
    """'2021-22:2024-25' -> [2021, 2022, 2023, 2024]; '2022-23' -> [2022]. Raises ValueError on bad input."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("empty season spec: expected '2022-23' or a range '2021-22:2024-25'")
    parts = spec.split(":")
    if len(parts) == 1:
        return [_parse_label(parts[0])]
    if len(parts) != 2:
        raise ValueError(f"bad season range {spec!r}: expected FIRST:LAST like '2021-22:2024-25'")
    first, last = _parse_label(parts[0]), _parse_label(parts[1])
    if last < first:
        raise ValueError(f"bad season range {spec!r}: the last season is before the first")
    return list(range(first, last + 1))


def _weekday_in_range(year: int, month: int, first_day: int, weekday: int) -> date:
    """The first date with the given weekday (Mon=0) on or after year-month-first_day."""
    d = date(year, month, first_day)
    return d + timedelta(days=(weekday - d.weekday()) % 7)


@dataclass(frozen=True)
class SeasonDates:
    """Fixed dates of a season (real-NBA-like): opening Tuesday, All-Star break, last regular-season Sunday."""

    start_year: int
    opening_day: date  # Tuesday between Oct 18 and Oct 24
    all_star_break: tuple[date, ...]  # Friday..Wednesday around the third Sunday of February: no games
    last_regular_day: date  # Sunday between Apr 8 and Apr 14
    no_game_days: tuple[date, ...]  # Thanksgiving, Christmas Eve

    @property
    def play_in_days(self) -> tuple[date, date, date]:
        """Tuesday, Wednesday, Friday after the last regular-season day."""
        d = self.last_regular_day
        return (d + timedelta(days=2), d + timedelta(days=3), d + timedelta(days=5))

    @property
    def playoffs_start(self) -> date:
        """The Saturday after the play-in."""
        return self.last_regular_day + timedelta(days=6)

    def regular_season_days(self) -> list[date]:
        """Every date with games planned, opening day to the last regular-season day."""
        skip = set(self.all_star_break) | set(self.no_game_days)
        days, d = [], self.opening_day
        while d <= self.last_regular_day:
            if d not in skip:
                days.append(d)
            d += timedelta(days=1)
        return days


def season_dates(start_year: int) -> SeasonDates:
    opening = _weekday_in_range(start_year, 10, 18, 1)
    all_star_sunday = _weekday_in_range(start_year + 1, 2, 15, 6)
    brk = tuple(all_star_sunday + timedelta(days=k) for k in range(-2, 4))
    last = _weekday_in_range(start_year + 1, 4, 8, 6)
    thanksgiving = _weekday_in_range(start_year, 11, 22, 3)
    return SeasonDates(start_year, opening, brk, last, (thanksgiving, date(start_year, 12, 24)))
