"""The season calendar seed (seeds/season_calendar.csv): well formed, true to the real playoff files, built by
dbt as the Python reader reads it, and followed by the generator."""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.dates import season_label
from orchestration.generator import generate_seasons
from orchestration.generator.seasons import season_dates
from orchestration.season_calendar import (
    PLAY_IN,
    PLAYOFFS,
    REGULAR_SEASON,
    SEED_PATH,
    SEGMENTS,
    SeasonCalendar,
    calendar_for,
    read_calendar,
    season_calendar,
)


def read_csv_gz(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(gzip.decompress(path.read_bytes()).decode("utf-8"))))


def first_and_last_dates(files: list[Path], season_column: str, date_column: str) -> dict[int, tuple[date, date]]:
    """Per season (start year), the first and last game date of the files."""
    dates: dict[int, list[date]] = defaultdict(list)
    for path in files:
        for row in read_csv_gz(path):
            dates[int(row[season_column][:4])].append(date.fromisoformat(row[date_column][:10]))
    return {season: (min(ds), max(ds)) for season, ds in dates.items()}


def test_seed_is_well_formed() -> None:
    calendar = season_calendar()
    assert sorted(calendar) == list(range(2010, 2026))  # 2010-11 .. 2025-26
    for season, c in calendar.items():
        assert c.season == season and c.season_label == season_label(season)
        assert date(season, 10, 1) <= c.regular_season_start <= date(season, 12, 31), c
        ordered = [c.regular_season_start, c.regular_season_end, c.play_in_start, c.playoffs_start, c.last_game]
        present = [d for d in ordered if d is not None]
        assert present == sorted(present) and len(set(present)) == len(present), c
        assert (c.play_in_start is None) == (season < 2019), c  # the first play-in game: 2020-08-15
        assert c.last_game is not None or season == 2025, c  # only the season in progress is open
    assert calendar_for(2009) is None and calendar_for(2021).playoffs_start == date(2022, 4, 16)
    assert [s.name for s in SEGMENTS] == ["regular_season", "play_in", "playoffs"]
    c = calendar_for(2021)
    assert [c.segment_start(s) for s in SEGMENTS] == [date(2021, 10, 19), date(2022, 4, 12), date(2022, 4, 16)]
    assert [c.segment_end(s) for s in SEGMENTS] == [date(2022, 4, 10), date(2022, 4, 15), date(2022, 6, 16)]


@pytest.mark.parametrize(
    "folder, season_column, date_column",
    [
        ("schedule", "season", "game_date"),
        ("team_box", "SEASON_YEAR", "GAME_DATE"),
    ],
)
def test_playoff_dates_equal_the_real_files(real_dir: Path, folder: str, season_column: str, date_column: str) -> None:
    """Each real playoff file starts on the calendar's playoffs start (its play-in start when the file starts
    earlier) and ends on its last game."""
    spans = first_and_last_dates(sorted((real_dir / folder).glob("*.csv.gz")), season_column, date_column)
    assert len(spans) == 11  # PROVENANCE: 11 playoff seasons
    for season, (first, last) in spans.items():
        c = calendar_for(season)
        expected_first = c.play_in_start if c.play_in_start and first < c.playoffs_start else c.playoffs_start
        assert (first, last) == (expected_first, c.last_game), (season_label(season), folder)


def test_complete_player_box_files_agree(real_dir: Path) -> None:
    files = [p for p in sorted((real_dir / "player_box").glob("*.csv.gz")) if "partial" not in p.name]
    spans = first_and_last_dates(files, "season_year", "game_date")
    assert len(spans) == 10
    assert all(spans[s] == (calendar_for(s).playoffs_start, calendar_for(s).last_game) for s in spans)


def test_regular_season_2025_26_equals_the_real_minutes_file(real_dir: Path) -> None:
    rows = read_csv_gz(real_dir / "supplementary" / "nba_2025-26_regular_season_player_minutes.csv.gz")
    dates = sorted({date.fromisoformat(r["game_date"]) for r in rows})
    c = calendar_for(2025)
    assert (dates[0], dates[-1]) == (c.regular_season_start, c.regular_season_end)


def test_dbt_seed_builds_what_python_reads(tmp_path: Path) -> None:
    from support import dbt_build

    warehouse = tmp_path / "w.duckdb"
    result = dbt_build(["season_calendar"], None, None, warehouse, target_path=tmp_path / "target")
    assert result.succeeded, result.failure_summary()
    assert sum(n.resource_type == "test" for n in result.nodes) >= 6  # unique / not_null on the columns
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select * from nba_reference.season_calendar order by season").fetchall()
        types = dict(
            con.execute("""select column_name, data_type from information_schema.columns
                                    where table_name = 'season_calendar'""").fetchall()
        )
    assert [SeasonCalendar(*row) for row in rows] == list(read_calendar(SEED_PATH).values())
    assert types["playoffs_start"] == "DATE" and types["season"] == "INTEGER"


# -- the generator follows the calendar ---------------------------------------------------------------------


def generated_segments(landing: Path) -> dict[int, dict[str, tuple[date, date]]]:
    """Per generated season, each segment's first and last game date."""
    out: dict[int, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted((landing / "schedule").glob("*.csv.gz")):
        for row in read_csv_gz(path):
            out[int(row["season"][:4])][row["season_type"]].append(date.fromisoformat(row["game_date"]))
    return {s: {t: (min(ds), max(ds)) for t, ds in types.items()} for s, types in out.items()}


def assert_follows_calendar(segments: dict[str, tuple[date, date]], c: SeasonCalendar) -> None:
    regular = segments[REGULAR_SEASON.season_type]
    playoffs = segments[PLAYOFFS.season_type]
    assert regular == (c.regular_season_start, c.regular_season_end), c.season_label
    assert playoffs == (c.playoffs_start, c.last_game), c.season_label
    if c.play_in_start is None:
        assert PLAY_IN.season_type not in segments, c.season_label
    else:
        play_in = segments[PLAY_IN.season_type]
        assert play_in[0] == c.play_in_start and play_in[1] < c.playoffs_start, c.season_label


def test_generated_seasons_follow_the_calendar(generated_landing: Path) -> None:
    segments = generated_segments(generated_landing)
    assert sorted(segments) == [2021, 2022]
    for season, found in segments.items():
        assert_follows_calendar(found, calendar_for(season))


def test_generated_season_without_play_in(tmp_path: Path) -> None:
    """2016-17 had no play-in: seeds 7 and 8 come from the standings, the calendar's dates hold."""
    generate_seasons([2016], tmp_path, seed=11)
    segments = generated_segments(tmp_path)
    assert_follows_calendar(segments[2016], calendar_for(2016))
    playoffs = [
        r for r in read_csv_gz(tmp_path / "schedule" / "nba_schedule_2016-17.csv.gz") if r["season_type"] == "Playoffs"
    ]
    assert len({r["game_id"][:9] for r in playoffs}) == 15  # 8 + 4 + 2 + 1 series


@pytest.mark.parametrize("season, reason", [(2011, "124 days"), (2019, "298 days"), (2020, "146 days")])
def test_irregular_seasons_are_refused(tmp_path: Path, season: int, reason: str) -> None:
    with pytest.raises(ValueError, match=rf"season {season_label(season)}: its regular season ran {reason}"):
        generate_seasons([2018, season], tmp_path, seed=1)
    assert not any(tmp_path.iterdir())  # refused before writing anything


def test_seasons_outside_the_calendar_keep_the_nba_habits() -> None:
    dates = season_dates(2030)
    assert dates.opening_day == date(2030, 10, 22) and dates.opening_day.weekday() == 1  # a Tuesday
    assert dates.last_regular_day.weekday() == 6 and dates.playoffs_start.weekday() == 5
