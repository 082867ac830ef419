"""Phase 3 on real and generated data: range == date-by-date == shuffled chunks,
idempotent reruns, the forward cascade, window semantics, and every gate failing
on broken data."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from support import (
    assert_identical,
    build,
    copy_warehouse,
    execute,
    game_dates,
    query,
    run_dbt,
    table_differences,
)

from orchestration.phases import phases_from_spec
from orchestration.runner import run_backfill

PHASE3 = phases_from_spec("3")


def _day_before(day: date) -> date:
    return day - timedelta(days=1)


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_target")


@pytest.fixture(scope="module", params=["real", "generated"])
def dataset(request, tmp_path_factory, dbt_target):
    """A raw warehouse, a window of dates to run one by one, and the range build of everything."""
    raw = request.getfixturevalue(f"{request.param}_raw_warehouse")
    folder = tmp_path_factory.mktemp(f"{request.param}_p3")
    dates = game_dates(raw)
    if request.param == "real":
        # every season whose player box is complete (the real 2023-24 has 11 of 82 games)
        dates = [d for d in dates if d < date(2023, 7, 1)]
        # the 2021-22 playoffs, second round onwards: full windows and partial ones
        window = [d for d in dates if date(2022, 5, 1) <= d][:6]
    else:
        second_season_start = min(d for d in dates if d >= date(2022, 9, 1))
        # straddle the season boundary: last dates of 2021-22 and the first of 2022-23
        before = [d for d in dates if d < second_season_start][-3:]
        window = before + [d for d in dates if d >= second_season_start][:3]
    reference = copy_warehouse(raw, folder / "range.duckdb")
    result = build(reference, dates[0], dates[-1])
    assert result.succeeded, result.failure_summary()
    return {
        "name": request.param,
        "raw": raw,
        "folder": folder,
        "dates": dates,
        "window": window,
        "reference": reference,
    }


def test_range_run_equals_date_by_date_run(dataset, dbt_target):
    by_date = copy_warehouse(dataset["raw"], dataset["folder"] / "by_date.duckdb")
    dates, window = dataset["dates"], dataset["window"]
    # everything around the window as ranges, then the window one date per dbt run,
    # in reverse order: neither the order nor the chunking may matter
    assert build(by_date, dates[0], _day_before(window[0])).succeeded
    assert build(by_date, window[-1] + timedelta(days=1), dates[-1]).succeeded
    for day in reversed(window):
        result = build(by_date, day, day)
        assert result.succeeded, result.failure_summary()
    assert_identical(dataset["reference"], by_date)


def test_range_run_equals_shuffled_chunks(dataset, dbt_target):
    chunks_warehouse = copy_warehouse(dataset["raw"], dataset["folder"] / "chunks.duckdb")
    dates = dataset["dates"]
    rng = random.Random(11)
    cuts = sorted(rng.sample(range(1, len(dates)), 3))
    bounds = [0, *cuts, len(dates)]
    chunks = [(dates[a], dates[b - 1]) for a, b in zip(bounds, bounds[1:])]
    rng.shuffle(chunks)
    for start, end in chunks:
        result = build(chunks_warehouse, start, end)
        assert result.succeeded, result.failure_summary()
    assert_identical(dataset["reference"], chunks_warehouse)


def test_rerun_changes_nothing(dataset, dbt_target):
    rerun = copy_warehouse(dataset["reference"], dataset["folder"] / "rerun.duckdb")
    dates = dataset["dates"]
    assert build(rerun, dates[0], dates[-1]).succeeded
    window = dataset["window"]
    assert build(rerun, window[0], window[-1]).succeeded
    assert_identical(dataset["reference"], rerun)


def test_windows_are_labelled_and_never_cross_seasons(dataset):
    rows = query(
        dataset["reference"],
        """
        select player_id, season_year, game_date, games_in_window, calculation_quality,
               points_avg_last_10, season_games_before
        from nba_analytics.upcoming_player_game_context
        where game_status = 'final'
        order by player_id, season_year, game_date
    """,
    )
    played = query(
        dataset["reference"],
        """
        select player_id, season_year, game_date, points
        from nba_analytics.player_game_summary where not is_dnp
        order by player_id, season_year, game_date
    """,
    )
    history: dict[tuple[int, int], list[int]] = {}
    points_by_game = {(p, d): pts for p, _, d, pts in played}
    labels = set()
    for player_id, season, game_date, in_window, quality, average, season_before in rows:
        prior = history.setdefault((player_id, season), [])
        expected_window = prior[-10:]
        assert in_window == len(expected_window), (player_id, game_date)
        assert season_before == len(prior), (player_id, game_date)
        if not expected_window:
            assert quality == "no_prior_games" and average is None
        elif len(expected_window) < 10:
            assert quality == f"partial_{len(expected_window)}_games"
        else:
            assert quality == "complete"
        if expected_window:
            expected_average = (Decimal(sum(expected_window)) / len(expected_window)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
            assert average == expected_average, (player_id, game_date)
        labels.add(quality.split("_")[0])
        prior.append(points_by_game[(player_id, game_date)])
    assert {"no", "partial", "complete"} <= labels
    # the first game of a season has an empty window even after a full previous season
    crossing = query(
        dataset["reference"],
        """
        with firsts as (
            select player_id, season_year, min(game_date) as first_date
            from nba_analytics.upcoming_player_game_context where game_status = 'final' group by all
        )
        select count(*), sum(case when c.games_in_window = 0 then 1 else 0 end)
        from firsts join nba_analytics.upcoming_player_game_context c
          on c.player_id = firsts.player_id and c.game_date = firsts.first_date
        where exists (select 1 from firsts f2 where f2.player_id = firsts.player_id and f2.season_year < firsts.season_year)
    """,
    )[0]
    assert crossing[0] > 0 and crossing[0] == crossing[1]


def test_dnp_rows_are_kept_and_never_averaged(dataset):
    dnp, dnp_in_context = query(
        dataset["reference"],
        """
        select count(*),
               (select count(*) from nba_analytics.upcoming_player_game_context c
                where c.game_status = 'final' and exists (
                    select 1 from nba_analytics.player_game_summary s
                    where s.is_dnp and s.game_id = c.game_id and s.player_id = c.player_id))
        from nba_analytics.player_game_summary where is_dnp
    """,
    )[0]
    assert dnp > 0 and dnp_in_context == 0


def _correct_one_game(warehouse: Path, day: date) -> tuple[int, str]:
    """A late stat correction on `day`: one player gets two more made 2-pointers."""
    player_id, game_id, team = query(
        warehouse,
        """
        select player_id, game_id, team_abbr from nba_raw.nbac_player_boxscore
        where game_date = ? and seconds_played > 0 order by points desc, player_id limit 1
    """,
        [day],
    )[0]
    execute(
        warehouse,
        "update nba_raw.nbac_player_boxscore set fgm = fgm + 2, fga = fga + 2, points = points + 4 "
        "where game_id = ? and player_id = ?",
        [game_id, player_id],
    )
    execute(
        warehouse,
        "update nba_raw.nbac_team_boxscore set fgm = fgm + 2, fga = fga + 2, points = points + 4 "
        "where game_id = ? and team_abbr = ?",
        [game_id, team],
    )
    execute(
        warehouse,
        "update nba_raw.nbac_schedule set home_points = home_points + case when home_team_abbr = ? then 4 else 0 end, "
        "away_points = away_points + case when away_team_abbr = ? then 4 else 0 end where game_id = ?",
        [team, team, game_id],
    )
    return player_id, game_id


def test_backfill_of_one_corrected_date_cascades_forward(generated_raw_warehouse, tmp_path, dbt_target):
    dates = game_dates(generated_raw_warehouse)
    first_season = [d for d in dates if d < date(2022, 9, 1)]
    corrected_day = first_season[len(first_season) // 2]

    built = copy_warehouse(generated_raw_warehouse, tmp_path / "built.duckdb")
    assert build(built, dates[0], dates[-1]).succeeded
    cascade = copy_warehouse(built, tmp_path / "cascade.duckdb")
    no_cascade = copy_warehouse(built, tmp_path / "no_cascade.duckdb")
    fresh = copy_warehouse(generated_raw_warehouse, tmp_path / "fresh.duckdb")
    for warehouse in (cascade, no_cascade, fresh):
        _correct_one_game(warehouse, corrected_day)
    assert build(fresh, dates[0], dates[-1]).succeeded

    result = run_backfill(corrected_day, corrected_day, PHASE3, warehouse=cascade)
    assert result.succeeded and result.plan.cascaded
    assert result.plan.end == first_season[-1]
    assert_identical(fresh, cascade)

    limited = run_backfill(corrected_day, corrected_day, PHASE3, cascade=False, warehouse=no_cascade)
    assert limited.succeeded and not limited.plan.cascaded
    assert limited.plan.stale_dates and limited.plan.stale_dates[0] > corrected_day
    assert "now stale" in limited.plan.describe()
    # the later dates really are stale: their windows still hold the old points
    *_, only_left, only_right = table_differences(fresh, no_cascade, "nba_analytics.upcoming_player_game_context")
    assert only_left > 0 and only_right > 0


def test_no_game_date_is_an_empty_success(generated_raw_warehouse, tmp_path, dbt_target):
    dates = game_dates(generated_raw_warehouse)
    first_season = [d for d in dates if d < date(2022, 9, 1)]
    off_day = next(d for d in (first_season[0] + timedelta(days=i) for i in range(200)) if d not in set(dates))
    warehouse = copy_warehouse(generated_raw_warehouse, tmp_path / "w.duckdb")
    result = run_backfill(off_day, off_day, PHASE3, warehouse=warehouse, cascade=False)
    assert result.succeeded and not result.dbt_results  # nothing to build
    history = query(
        warehouse,
        "select status, skip_reason, rows_written from nba_orchestration.pipeline_run_history where game_date = ?",
        [off_day],
    )
    assert history == [("success", "no_games", 0)]


def test_real_team_points_equal_player_points(real_dir, dataset):
    if dataset["name"] != "real":
        pytest.skip("real data only")
    mismatches, team_games = query(
        dataset["reference"],
        """
        select count(*) filter (where t.points <> p.player_points), count(*)
        from nba_analytics.team_offense_game_summary t
        join (select game_id, team_abbr, sum(points) as player_points
              from nba_analytics.player_game_summary group by all) p using (game_id, team_abbr)
    """,
    )[0]
    assert team_games > 1000 and mismatches == 0


def test_real_partial_2023_24_is_blocked_not_failed(real_raw_warehouse, tmp_path, dbt_target):
    warehouse = copy_warehouse(real_raw_warehouse, tmp_path / "w.duckdb")
    result = run_backfill(date(2024, 4, 20), date(2024, 6, 17), PHASE3, warehouse=warehouse)
    assert result.succeeded and result.blocked
    blocked = result.plan.blocked[0]
    assert blocked.dates[0] == date(2024, 4, 23) and blocked.dates[-1] == date(2024, 6, 17)
    assert "nba-pipeline load" in blocked.message() and "2024-04-23" in blocked.message()
    built = query(
        warehouse,
        "select min(game_date), max(game_date), count(distinct game_id) from nba_analytics.player_game_summary",
    )[0]
    assert built == (date(2024, 4, 20), date(2024, 4, 22), 11)
    statuses = dict(query(warehouse, "select status, count(*) from nba_orchestration.pipeline_run_history group by 1"))
    assert statuses["blocked"] == len(blocked.dates)


def _failed_tests(result) -> set[str]:
    return {node.unique_id.split(".")[2] for node in result.failed_nodes if node.resource_type == "test"}


def test_each_gate_fails_on_broken_data(real_raw_warehouse, tmp_path, dbt_target):
    warehouse = copy_warehouse(real_raw_warehouse, tmp_path / "broken.duckdb")
    days = [d for d in game_dates(warehouse) if date(2022, 4, 16) <= d <= date(2022, 6, 16)]
    first, second, third, fourth, fifth = days[1], days[3], days[5], days[7], days[9]
    pick = "select player_id, game_id from nba_raw.nbac_player_boxscore where game_date = ? and fg3m > 0 order by player_id limit 1"
    player, game = query(warehouse, pick, [first])[0]
    execute(
        warehouse,
        "update nba_raw.nbac_player_boxscore set reb = -1, oreb = 0, dreb = -1 where game_id = ? and player_id = ?",
        [game, player],
    )
    player, game = query(warehouse, pick, [second])[0]
    execute(
        warehouse,
        "update nba_raw.nbac_player_boxscore set fg3a = fg3m - 1 where game_id = ? and player_id = ?",
        [game, player],
    )
    player, game = query(warehouse, pick, [third])[0]
    execute(
        warehouse,
        "update nba_raw.nbac_player_boxscore set seconds_played = 80 * 60, minutes = 80 where game_id = ? and player_id = ?",
        [game, player],
    )
    execute(
        warehouse,
        "update nba_raw.nbac_team_boxscore set points = points + 1 where game_id = "
        "(select min(game_id) from nba_raw.nbac_schedule where game_date = ?) and is_home",
        [fourth],
    )
    execute(
        warehouse,
        "delete from nba_raw.nbac_player_boxscore where game_id = "
        "(select min(game_id) from nba_raw.nbac_schedule where game_date = ?) and team_abbr = "
        "(select home_team_abbr from nba_raw.nbac_schedule where game_id = "
        "(select min(game_id) from nba_raw.nbac_schedule where game_date = ?))",
        [fifth, fifth],
    )

    result = build(warehouse, days[0], days[-1])
    assert not result.succeeded
    failed = _failed_tests(result)
    expected = {
        "accepted_range_player_game_summary_reb__0",  # negative stat
        "player_game_summary_made_le_attempted",  # made > attempted
        "accepted_range_player_game_summary_minutes__75__0",  # minutes > 75 (five overtimes are 73)
        "assert_team_points_equal_player_points",  # team != sum of players
        "covers_final_games_player_game_summary_8",  # completeness vs schedule
    }
    assert expected <= failed, f"missing failures: {expected - failed}; failed: {failed}"


def test_gates_check_the_run_window_and_a_full_test_checks_everything(dataset, tmp_path):
    """A gate is about what its run wrote: the data tests of a window read the window's dates of an
    incremental model (macros/run_range.sql get_where_subquery), and without a window every row."""
    warehouse = copy_warehouse(dataset["reference"], tmp_path / "scoped.duckdb")
    broken_day, other_day = dataset["window"][0], dataset["window"][1]
    execute(
        warehouse,
        "update nba_analytics.player_game_summary set minutes = 99 where player_id = "
        "(select min(player_id) from nba_analytics.player_game_summary where game_date = ? and minutes > 0) "
        "and game_date = ?",
        [broken_day, broken_day],
    )
    test = ["test", "--select", "player_game_summary", "--exclude", "test_type:unit"]
    gate = "accepted_range_player_game_summary_minutes__75__0"

    assert run_dbt(test, other_day, other_day, warehouse).succeeded
    for start, end in ((broken_day, broken_day), (None, None)):
        result = run_dbt(test, start, end, warehouse)
        assert gate in _failed_tests(result), (start, end, _failed_tests(result))


def test_duplicate_keys_stop_downstream_models(real_raw_warehouse, tmp_path, dbt_target):
    warehouse = copy_warehouse(real_raw_warehouse, tmp_path / "dupes.duckdb")
    execute(
        warehouse,
        "insert into nba_raw.nbac_player_boxscore select * from nba_raw.nbac_player_boxscore "
        "where game_date = date '2022-05-01' limit 1",
    )
    result = build(warehouse, date(2022, 5, 1), date(2022, 5, 1))
    assert not result.succeeded
    assert "unique_combination_of_columns_stg_nba_raw__player_boxscores_game_id__player_id" in _failed_tests(result)
    skipped = {n.unique_id for n in result.nodes if n.status == "skipped"}
    assert "model.nba_pipeline.player_game_summary" in skipped


def test_dates_are_validated_before_any_sql(tmp_path):
    cli = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "backfill", "--start", "2023-13-01", "--end", "2023-12-01"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 2 and "start='2023-13-01' is not" in cli.stderr
    reversed_range = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "backfill", "--start", "2023-12-02", "--end", "2023-12-01"],
        capture_output=True,
        text=True,
    )
    assert reversed_range.returncode == 2 and "before start" in reversed_range.stderr
    from support import run_dbt

    dbt = run_dbt(
        ["compile", "--select", "player_game_summary", "--vars", "{start_date: yesterday}"],
        warehouse=tmp_path / "w.duckdb",
        target_path=tmp_path / "target",
    )
    assert not dbt.succeeded and "start_date=yesterday is not a date" in dbt.failure_summary()
