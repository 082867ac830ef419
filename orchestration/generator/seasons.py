"""Season labels ("2021-22" <-> 2021) and the key dates of a generated season."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from orchestration.dates import season_label
from orchestration.season_calendar import calendar_for

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


# The generator imitates standard 82-game seasons (the real ones run 165-177 days); a calendar season far
# outside this (2011-12's lockout, 2019-20's suspension, 2020-21's 72 games) is not one it can imitate.
REGULAR_SEASON_DAYS = (150, 200)
# Playoff length for a season without a last game in the calendar: the 2021-22 playoffs (Apr 16 - Jun 16).
DEFAULT_PLAYOFF_DAYS = 61


@dataclass(frozen=True)
class SeasonDates:
    """Fixed dates of a season: the season calendar's (seeds/season_calendar.csv) for a season in it,
    else real-NBA-like ones (opening Tuesday, last regular-season Sunday). The All-Star break and the
    no-game days follow the NBA's habits."""

    start_year: int
    opening_day: date  # the first regular-season game
    all_star_break: tuple[date, ...]  # Friday..Wednesday around the third Sunday of February: no games
    last_regular_day: date  # the last regular-season game: every team plays
    no_game_days: tuple[date, ...]  # Thanksgiving, Christmas Eve
    play_in_start: date | None  # None: no play-in (before 2019-20), seeds 7 and 8 come from the standings
    playoffs_start: date
    last_game: date  # the last game of the Finals

    @property
    def play_in_days(self) -> tuple[date, date, date] | None:
        """East day, West day (7v8 and 9v10 games) and the deciders' day: Tuesday, Wednesday, Friday."""
        d = self.play_in_start
        return None if d is None else (d, d + timedelta(days=1), d + timedelta(days=3))

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
    """The season's dates: from the season calendar when it has the season, else by the NBA's habits."""
    all_star_sunday = _weekday_in_range(start_year + 1, 2, 15, 6)
    brk = tuple(all_star_sunday + timedelta(days=k) for k in range(-2, 4))
    thanksgiving = _weekday_in_range(start_year, 11, 22, 3)
    no_games = (thanksgiving, date(start_year, 12, 24))
    calendar = calendar_for(start_year)
    if calendar is None:
        opening = _weekday_in_range(start_year, 10, 18, 1)
        last = _weekday_in_range(start_year + 1, 4, 8, 6)
        playoffs = last + timedelta(days=6)  # the Saturday after the play-in
        return SeasonDates(
            start_year,
            opening,
            brk,
            last,
            no_games,
            last + timedelta(days=2),
            playoffs,
            playoffs + timedelta(days=DEFAULT_PLAYOFF_DAYS),
        )
    length = (calendar.regular_season_end - calendar.regular_season_start).days + 1
    low, high = REGULAR_SEASON_DAYS
    if not low <= length <= high:
        raise ValueError(
            f"season {calendar.season_label}: its regular season ran {length} days "
            f"({calendar.regular_season_start} .. {calendar.regular_season_end} in seeds/season_calendar.csv); "
            f"the generator imitates standard 82-game seasons of {low}-{high} days and cannot fit one there"
        )
    play_in = calendar.play_in_start
    if play_in is not None and play_in + timedelta(days=3) >= calendar.playoffs_start:
        raise ValueError(
            f"season {calendar.season_label}: the play-in ({play_in}) leaves no room for the generator's three "
            f"play-in days before the playoffs ({calendar.playoffs_start})"
        )
    last_game = calendar.last_game or calendar.playoffs_start + timedelta(days=DEFAULT_PLAYOFF_DAYS)
    return SeasonDates(
        start_year,
        calendar.regular_season_start,
        brk,
        calendar.regular_season_end,
        no_games,
        play_in,
        calendar.playoffs_start,
        last_game,
    )
