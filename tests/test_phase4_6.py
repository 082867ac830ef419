"""Phases 4-6 on real and generated data: range == date-by-date for every table,
forward-looking predictions, every gate failing on broken data, the strict
check, a failing trained model or system model leaving the other systems, the
reproducible trained model, the accuracy report, the formula unit tests, the
contracts and the documented columns.

Builds are kept small: one reference backfill per dataset (module scope), and
every other test works on a copy of it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import joblib
import pytest
from support import PHASE3_TABLES, assert_identical, copy_warehouse, dbt_build, execute, game_dates, query, run_dbt

from orchestration.dagster.dbt_project import ensure_manifest
from orchestration.dbt_invoke import DbtProject
from orchestration.ml import accuracy_report, format_accuracy_report, run_trained_model_step, trained_model
from orchestration.ml.features import FEATURES_V1
from orchestration.ml.store import PREDICTIONS_TABLE, REGISTRY_TABLE
from orchestration.ml.tree_predictor import matching_predictor
from orchestration.paths import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.phases import PHASES_BY_NUMBER, phases_from_spec
from orchestration.runner import run_backfill

PHASES_3_TO_6 = phases_from_spec("3,4,5,6")
PHASE4_TO_6_TABLES = tuple(table for number in (4, 5, 6) for table in PHASES_BY_NUMBER[number].completeness_tables) + (
    "nba_predictions.system_daily_performance",
    PREDICTIONS_TABLE,
    REGISTRY_TABLE,
)
ALWAYS_ON_SYSTEMS = {"moving_average", "zone_matchup_v1", "similarity_balanced_v1", "ensemble_v1"}
ML_SYSTEM = trained_model.SYSTEM_ID
# one model per prediction system, unioned into player_prop_predictions
SYSTEM_TABLES = tuple(
    f"nba_predictions.player_prop_predictions_{system}" for system in sorted(ALWAYS_ON_SYSTEMS | {ML_SYSTEM})
)
ALL_BUILT_TABLES = PHASE3_TABLES + PHASE4_TO_6_TABLES + SYSTEM_TABLES


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_target_p456")


def backfill(warehouse: Path, start: date, end: date, dbt_target: Path, phases=PHASES_3_TO_6):
    result = run_backfill(start, end, phases, cascade=False, warehouse=warehouse)
    failures = "\n".join(b.failure_summary() for b in result.dbt_results if not b.succeeded)
    assert result.succeeded and not result.blocked, failures or result.plan.describe()
    return result


@pytest.fixture(scope="module", params=["generated", "real"])
def dataset(request, tmp_path_factory, dbt_target):
    """Phases 3-6 built as one range up to the end of a short window of dates.

    generated: two seasons, built up to the 12th date of 2022-23 (`last`); the
    window is the last date of 2021-22 and the second of 2022-23 (the first date
    where the trained model, fitted on 2021-22, has players with history).
    real: the 2020-21 and 2021-22 playoffs up to two dates of May 2022 (the
    model of 2021-22 is fitted on the 2020-21 playoffs).
    """
    name = request.param
    folder = tmp_path_factory.mktemp(f"p456_{name}")
    raw = request.getfixturevalue(f"{name}_raw_warehouse")
    dates = game_dates(raw)
    if name == "generated":
        second_season_start = min(d for d in dates if d >= date(2022, 9, 1))
        second_season = [d for d in dates if d >= second_season_start]
        window = [d for d in dates if d < second_season_start][-1:] + second_season[1:2]
        first, last = dates[0], second_season[11]
    else:
        window = [d for d in dates if d >= date(2022, 5, 1)][:2]
        first, last = min(d for d in dates if d >= date(2021, 5, 1)), window[-1]
    (folder / "reference").mkdir()
    reference = copy_warehouse(raw, folder / "reference" / "range.duckdb")
    result = backfill(reference, first, last, dbt_target)
    return {
        "name": name,
        "raw": raw,
        "folder": folder,
        "first": first,
        "last": last,
        "window": window,
        "reference": reference,
        "result": result,
    }


def _fresh_copy(dataset, name: str) -> Path:
    """A copy of the reference in its own folder (so it has its own models/ artifacts), named as the
    reference is (the registry's artifact paths, relative to the file's folder, then compare equal)."""
    folder = dataset["folder"] / name
    folder.mkdir()
    return copy_warehouse(dataset["reference"], folder / dataset["reference"].name)


def _failed_tests(result) -> set[str]:
    return {node.unique_id.split(".")[2] for node in result.failed_nodes if node.resource_type == "test"}


# --------------------------------------------------------------------------- range == date by date


def test_range_run_equals_date_by_date_run(dataset, dbt_target):
    """Every Phase 3-6 table (and the trained model's predictions and registry) built
    one date per run over the window equals the range build, bit for bit.

    The window's dates are removed from a copy of the range build and rebuilt one
    run per date, in order (each run reads the lookback its date needs). The copy
    has no model artifact next to it, so the trained model is refitted from scratch.
    """
    by_date = _fresh_copy(dataset, "by_date")
    window = dataset["window"]
    with duckdb.connect(str(by_date)) as con:
        for table in ALL_BUILT_TABLES:
            if table != REGISTRY_TABLE:
                con.execute(f"delete from {table} where game_date in ({', '.join('?' for _ in window)})", window)
    for day in window:  # chronological, one run per date
        backfill(by_date, day, day, dbt_target)
    assert_identical(dataset["reference"], by_date, tables=ALL_BUILT_TABLES)
    # the window really exercised the trained model and graded predictions
    ml_rows, graded = query(
        dataset["reference"],
        f"""
        select (select count(*) from {PREDICTIONS_TABLE} where game_date between ? and ?),
               (select count(*) from nba_predictions.prediction_accuracy where is_graded and game_date between ? and ?)
    """,
        [window[0], window[-1]] * 2,
    )[0]
    assert ml_rows > 0 and graded > 0


# --------------------------------------------------------------------------- forward-looking


def _prediction_rows(warehouse: Path, day: date) -> dict[tuple, tuple]:
    rows = query(
        warehouse,
        """
        select game_id, player_id, system_id, system_version, model_id, predicted_points, confidence,
               points_line, edge, recommendation, prediction_status, components_used, games_in_window,
               similar_games_used, feature_quality_score, missing_sources
        from nba_predictions.player_prop_predictions where game_date = ?
    """,
        [day],
    )
    return {row[:3]: row[3:] for row in rows}


def test_predictions_are_forward_looking(dataset, dbt_target):
    """Results on and after D changed or deleted, D rebuilt: D's predictions are unchanged.

    Every raw row after D is deleted. Of D's games, the first half get new results
    (each player who played scores 4 more points; team box and schedule follow) and
    the second half become unplayed (scheduled, no box scores). For the replayed
    games every prediction row is identical; for the unplayed ones the rows to
    predict are the teams' recent players, and every prediction present in both
    builds is identical. D's prop lines are pre-game information and stay.
    """
    if dataset["name"] != "generated":
        pytest.skip("generated data only (prop lines and the trained model)")
    day = dataset["last"]
    changed = _fresh_copy(dataset, "forward")
    games = [
        row[0]
        for row in query(changed, "select game_id from nba_raw.nbac_schedule where game_date = ? order by 1", [day])
    ]
    assert len(games) >= 2
    replayed, unplayed = games[: len(games) // 2], games[len(games) // 2 :]
    with duckdb.connect(str(changed)) as con:
        for table in ("nbac_schedule", "nbac_player_boxscore", "nbac_team_boxscore", "odds_api_player_points_props"):
            con.execute(f"delete from nba_raw.{table} where game_date > ?", [day])
        con.execute("create temp table replayed as select unnest(?::varchar[]) as game_id", [replayed])
        con.execute("create temp table unplayed as select unnest(?::varchar[]) as game_id", [unplayed])
        con.execute(
            "update nba_raw.nbac_player_boxscore set fgm = fgm + 2, fga = fga + 2, points = points + 4 "
            "where game_id in (from replayed) and seconds_played > 0"
        )
        con.execute("""
            update nba_raw.nbac_team_boxscore as t
            set fgm = t.fgm + 2 * p.played, fga = t.fga + 2 * p.played, points = t.points + 4 * p.played
            from (select game_id, team_abbr, count(*) as played from nba_raw.nbac_player_boxscore
                  where game_id in (from replayed) and seconds_played > 0 group by all) as p
            where t.game_id = p.game_id and t.team_abbr = p.team_abbr""")
        con.execute("""
            update nba_raw.nbac_schedule as s
            set home_points = h.points, away_points = a.points
            from nba_raw.nbac_team_boxscore as h, nba_raw.nbac_team_boxscore as a
            where s.game_id in (from replayed) and h.game_id = s.game_id and h.team_abbr = s.home_team_abbr
              and a.game_id = s.game_id and a.team_abbr = s.away_team_abbr""")
        con.execute(
            "update nba_raw.nbac_schedule set game_status = 1, home_points = null, away_points = null "
            "where game_id in (from unplayed)"
        )
        con.execute("delete from nba_raw.nbac_player_boxscore where game_id in (from unplayed)")
        con.execute("delete from nba_raw.nbac_team_boxscore where game_id in (from unplayed)")
    backfill(changed, day, day, dbt_target)

    before, after = _prediction_rows(dataset["reference"], day), _prediction_rows(changed, day)
    assert any(key[2] == ML_SYSTEM and key[0] in replayed for key in before), "the trained model must be compared"
    assert any(value[6] in ("OVER", "UNDER") for value in before.values()), "recommendations must be compared"
    replayed_before = {k: v for k, v in before.items() if k[0] in replayed}
    replayed_after = {k: v for k, v in after.items() if k[0] in replayed}
    assert replayed_before and replayed_before == replayed_after
    shared = {k for k in before.keys() & after.keys() if k[0] in unplayed}
    assert len(shared) >= 0.6 * sum(1 for k in before if k[0] in unplayed)
    assert {k: before[k] for k in shared} == {k: after[k] for k in shared}
    # the results did change: the replayed games' labels moved by 4 points, the unplayed have none
    labels_before, labels_after = _labels(dataset["reference"], day), _labels(changed, day)
    assert {k: v + 4 for k, v in labels_before.items() if k[0] in replayed} == labels_after
    assert query(
        changed, "select count(distinct game_id) from nba_predictions.prediction_accuracy where game_date = ?", [day]
    )[0][0] == len(replayed)


def _labels(warehouse: Path, day: date) -> dict[tuple, int]:
    rows = query(
        warehouse,
        "select game_id, player_id, target_points from nba_precompute.ml_feature_store "
        "where game_date = ? and target_points is not null",
        [day],
    )
    return {(g, p): t for g, p, t in rows}


# --------------------------------------------------------------------------- gates


def _phase456_tests(manifest: dict) -> dict[str, dict]:
    """Every gate (a data test of severity error) that reads a Phase 4-6 model: name -> manifest node.
    Warn-severity tests report implausible values (and the system models' keys) without stopping anything."""
    models = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] in ("precompute", "predictions")
    }
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and models & set(node["depends_on"]["nodes"])
        and str(node["config"]["severity"]).lower() == "error"
    }


class Tamperer:
    """Breaks one row per test, never the same row twice, on the run's dates."""

    def __init__(self, con: duckdb.DuckDBPyConnection, start: date, end: date):
        self.con, self.start, self.end = con, start, end
        self.used: dict[str, set[int]] = {}

    def pick(self, table: str, condition: str = "true") -> int:
        used = self.used.setdefault(table, set())
        excluded = f"and rowid not in ({','.join(map(str, used))})" if used else ""
        row = self.con.execute(
            f"select rowid from {table} where game_date between ? and ? and ({condition}) {excluded} "
            f"order by game_date, rowid limit 1",
            [self.start, self.end],
        ).fetchone()
        assert row, f"no row of {table} left for {condition}"
        used.add(row[0])
        return row[0]

    def update(self, table: str, assignment: str, condition: str = "true") -> None:
        self.con.execute(f"update {table} set {assignment} where rowid = {self.pick(table, condition)}")

    def duplicate(self, table: str) -> None:
        self.con.execute(f"insert into {table} select * from {table} where rowid = {self.pick(table)}")

    def drop_team_game(self, table: str) -> None:
        # the latest team-game of the range: far from the rows picked from the start
        game_id, team = self.con.execute(
            f"select game_id, team_abbr from {table} where game_date between ? and ? order by game_date desc, game_id desc limit 1",
            [self.start, self.end],
        ).fetchone()
        self.con.execute(f"delete from {table} where game_id = ? and team_abbr = ?", [game_id, team])


# hand-written breakages for the tests whose condition is an expression
EXPRESSION_BREAKAGES: dict[str, tuple[str, str, str]] = {
    # test name: (table, assignment, row condition)
    "phase4_team_zone_window_counts": ("nba_precompute.team_defense_zone_analysis", "games_in_window = 16", "true"),
    "phase4_team_zone_gap_marks": ("nba_precompute.team_defense_zone_analysis", "upstream_gap_count = 1", "true"),
    "phase4_player_zone_window_counts": ("nba_precompute.player_shot_zone_analysis", "games_in_window_10 = 11", "true"),
    "phase4_player_zone_points_shares_sum_to_one": (
        "nba_precompute.player_shot_zone_analysis",
        "points_share_2pt_last_10 = points_share_2pt_last_10 + 0.05",
        "points_share_2pt_last_10 < 0.9",
    ),
    "phase4_player_zone_attempt_shares_sum_to_one": (
        "nba_precompute.player_shot_zone_analysis",
        "attempt_share_2pt_last_20 = attempt_share_2pt_last_20 + 0.05",
        "attempt_share_2pt_last_20 < 0.9",
    ),
    "phase4_cache_window_counts_nest": ("nba_precompute.player_daily_cache", "games_last_5 = 6", "true"),
    "phase4_cache_empty_window_has_no_average": (
        "nba_precompute.player_daily_cache",
        "points_avg_season = null",
        "games_season > 0",
    ),
    "phase4_cache_recent_load_bounds": ("nba_precompute.player_daily_cache", "games_last_7_days = 8", "true"),
    "phase4_composite_total_is_bounded_sum": (
        "nba_precompute.player_composite_factors",
        "total_adjustment = total_adjustment + 0.01",
        "total_adjustment < 0.2",
    ),
    "phase4_feature_store_training_rows_are_usable": (
        "nba_precompute.ml_feature_store",
        "can_use_for_ml_training = true, feature_quality_score = 10",
        "true",
    ),
    "phase4_feature_store_missing_sources_match": (
        "nba_precompute.ml_feature_store",
        "bookmaker_count = case when points_line is null then 1 else 0 end",
        "true",
    ),
    "phase4_feature_store_no_label_before_final": (
        "nba_precompute.ml_feature_store",
        "game_status = 'scheduled'",
        "target_points is not null",
    ),
    "phase4_player_rows_match_context": ("nba_precompute.player_composite_factors", "player_id = -player_id", "true"),
    "phase5_recommendation_follows_line_and_confidence": (
        "nba_predictions.player_prop_predictions",
        "recommendation = case when points_line is null then 'PASS' else 'NO_LINE' end",
        "true",
    ),
    "phase5_recommendation_follows_edge": (
        "nba_predictions.player_prop_predictions",
        "recommendation = 'OVER', edge = -5, points_line = 10, confidence = 90",
        "predicted_points is not null",
    ),
    "phase5_null_prediction_only_without_history": (
        "nba_predictions.player_prop_predictions",
        "prediction_status = 'no_prior_games'",
        "predicted_points is not null",
    ),
    "phase5_ensemble_components": (
        "nba_predictions.player_prop_predictions",
        "components_used = 7",
        "system_id = 'ensemble_v1' and predicted_points is not null",
    ),
    "phase5_every_player_game_has_each_system": (
        "nba_predictions.player_prop_predictions",
        "system_id = 'no_such_system'",
        "system_id = 'moving_average'",
    ),
    "phase6_graded_rows_have_both_sides": (
        "nba_predictions.prediction_accuracy",
        "absolute_error = absolute_error + 1",
        "is_graded",
    ),
    "phase6_recommendation_result_only_for_bets": (
        "nba_predictions.prediction_accuracy",
        "recommendation_result = 'WIN'",
        "recommendation_result is null",
    ),
    "phase6_daily_counts_nest": ("nba_predictions.system_daily_performance", "graded = predictions + 1", "true"),
    "phase6_daily_mae_iff_graded": ("nba_predictions.system_daily_performance", "mae = null", "graded > 0"),
    "phase6_daily_performance_reconciles": ("nba_predictions.system_daily_performance", "mae = mae + 1", "graded > 0"),
}


def _break_for(test: dict, tamper: Tamperer, manifest: dict) -> None:
    meta = test.get("test_metadata") or {}
    kind, kwargs = meta.get("name"), meta.get("kwargs", {})
    model = manifest["nodes"].get(test.get("attached_node") or "", {})
    table = f"{model.get('schema')}.{model.get('alias')}"
    if test["name"] in EXPRESSION_BREAKAGES:
        table, assignment, condition = EXPRESSION_BREAKAGES[test["name"]]
        tamper.update(table, assignment, condition)
    elif kind == "not_null":
        tamper.update(table, f"{kwargs['column_name']} = null")
    elif kind == "accepted_range":
        column = kwargs["column_name"]
        value = kwargs["max_value"] + 1 if kwargs.get("max_value") is not None else kwargs["min_value"] - 1
        tamper.update(table, f"{column} = {value}")
    elif kind == "accepted_values":
        column = kwargs["column_name"]
        bogus = "99" if kwargs.get("quote") is False else "'BOGUS'"
        tamper.update(table, f"{column} = {bogus}")
    elif kind == "unique_combination_of_columns":
        tamper.duplicate(table)
    elif kind == "covers_final_games":
        tamper.drop_team_game(table)
    else:
        raise AssertionError(f"no breakage defined for test {test['name']} ({kind}): add one to EXPRESSION_BREAKAGES")


def test_every_phase4_6_gate_fails_on_broken_data(dataset, dbt_target):
    """One broken row per data test (generic ones derived from the manifest), then
    `dbt test` over the broken dates: every Phase 4-6 test fails, none errors."""
    if dataset["name"] != "generated":
        pytest.skip("generated data only: it has prop lines, so every recommendation rule is exercised")
    broken = _fresh_copy(dataset, "gates")
    # three full dates in the middle of the first season
    first_season = [d for d in game_dates(broken) if d < date(2022, 9, 1)]
    start, end = first_season[len(first_season) // 2], first_season[len(first_season) // 2 + 2]
    # the manifest of the reference build (every dbt command of this module writes it)
    manifest = json.loads(ensure_manifest().read_text())
    tests = _phase456_tests(manifest)
    assert len(tests) >= 90 and set(EXPRESSION_BREAKAGES) <= set(tests)
    with duckdb.connect(str(broken)) as con:
        tamper = Tamperer(con, start, end)
        for name in sorted(tests):
            _break_for(tests[name], tamper, manifest)

    result = run_dbt(["test", "--select", "tag:phase_4", "tag:phase_5", "tag:phase_6"], start, end, warehouse=broken)
    assert not result.succeeded
    ran = {
        node.unique_id.split(".")[2]: node.status
        for node in result.nodes
        if node.resource_type == "test" and node.unique_id.split(".")[2] in tests
    }
    assert set(ran) == set(tests)
    not_failing = {name: status for name, status in ran.items() if status != "fail"}
    assert not not_failing, f"tests that did not fail on broken data: {not_failing}"
    # (the same tests passed on these dates, unbroken, in the reference range build)


def test_strict_mode_blocks_phase4_on_phase3_gaps(dataset, dbt_target, monkeypatch):
    """Phase 3 missing a date of the season: Phase 4 for a later date fails naming it.
    With strict mode off it builds and marks the rows; Phase 5 then builds too even
    though the trained model's table is missing (its pre-hook creates it empty)."""
    if dataset["name"] != "real":
        pytest.skip("real data only")
    warehouse = _fresh_copy(dataset, "strict")
    day = dataset["window"][-1]
    season_dates = [d for d in game_dates(warehouse) if date(2021, 9, 1) < d < day]
    gap = season_dates[len(season_dates) // 2]
    execute(warehouse, "delete from nba_analytics.team_defense_game_summary where game_date = ?", [gap])

    blocked = dbt_build(["tag:phase_4"], day, day, warehouse)
    assert not blocked.succeeded
    message = blocked.failure_summary()
    assert "BLOCKED (strict mode)" in message and gap.isoformat() in message and "nba-pipeline backfill" in message
    errored = {n.unique_id for n in blocked.nodes if n.status == "error"}
    assert "model.nba_pipeline.team_defense_zone_analysis" in errored
    skipped = {n.unique_id for n in blocked.nodes if n.status == "skipped"}
    assert "model.nba_pipeline.ml_feature_store" in skipped

    python_columns = query(
        warehouse,
        "select column_name, data_type from information_schema.columns where "
        f"table_schema || '.' || table_name = '{PREDICTIONS_TABLE}' order by ordinal_position",
    )
    execute(warehouse, f"drop table {PREDICTIONS_TABLE}")
    monkeypatch.setenv("NBA_STRICT_MODE", "false")  # the env var, like the dates: no re-parse
    lenient = dbt_build(["tag:phase_4", "tag:phase_5"], day, day, warehouse)
    assert lenient.succeeded, lenient.failure_summary()
    marks = query(
        warehouse,
        """
        select min(upstream_gap_count), max(upstream_gap_dates), bool_or(can_use_for_ml_training),
               bool_and(missing_sources like '%phase3_gaps%')
        from nba_precompute.ml_feature_store where game_date = ?""",
        [day],
    )[0]
    assert marks == (1, gap.isoformat(), False, True)
    dbt_columns = query(
        warehouse,
        "select column_name, data_type from information_schema.columns where "
        f"table_schema || '.' || table_name = '{PREDICTIONS_TABLE}' order by ordinal_position",
    )
    assert dbt_columns == python_columns  # the dbt pre-hook and orchestration/ml/store.py agree
    assert set(_systems_on(warehouse, day)) == ALWAYS_ON_SYSTEMS


# --------------------------------------------------------------------------- the trained model


def _systems_on(warehouse: Path, day: date) -> dict[str, int]:
    return dict(
        query(
            warehouse,
            "select system_id, count(predicted_points) from nba_predictions.player_prop_predictions "
            "where game_date = ? group by 1",
            [day],
        )
    )


def test_failing_trained_model_leaves_the_other_systems(dataset, dbt_target, monkeypatch):
    if dataset["name"] != "generated":
        pytest.skip("generated data only")
    warehouse = _fresh_copy(dataset, "ml_fails")
    day = dataset["last"]
    assert _systems_on(warehouse, day).get(ML_SYSTEM, 0) > 0

    def broken(*args, **kwargs):
        raise RuntimeError("simulated training failure")

    monkeypatch.setattr(trained_model, "_training_rows", broken)
    # phases 5-6 only: the python step runs first, then the dbt build
    result = backfill(warehouse, day, day, dbt_target, phases=phases_from_spec("5,6"))
    [step] = [outcome.python for outcome in result.steps if outcome.python is not None]
    assert step.status == "failed" and "simulated training failure" in step.message
    assert result.status == "partial"  # the other systems built; the run says what failed
    systems = _systems_on(warehouse, day)
    assert set(systems) == ALWAYS_ON_SYSTEMS and min(systems.values()) > 0
    assert query(warehouse, f"select count(*) from {PREDICTIONS_TABLE} where game_date = ?", [day])[0][0] == 0
    components = query(
        warehouse,
        "select distinct components_used from nba_predictions.player_prop_predictions "
        "where game_date = ? and system_id = 'ensemble_v1' and predicted_points is not null",
        [day],
    )
    assert components == [(3,)]
    graded = dict(
        query(
            warehouse,
            "select system_id, count(*) from nba_predictions.prediction_accuracy "
            "where game_date = ? and is_graded group by 1",
            [day],
        )
    )
    assert set(graded) == ALWAYS_ON_SYSTEMS


def _system_rows(warehouse: Path, day: date, systems: set[str]) -> list[tuple]:
    """The systems' predictions (what the rows say, not which build or input versions wrote them: the
    union's inputs differ once a system is missing)."""
    return query(
        warehouse,
        "select * exclude (input_version, build_id) from nba_predictions.player_prop_predictions "
        f"where game_date = ? and system_id in ({', '.join('?' for _ in systems)}) order by all",
        [day, *sorted(systems)],
    )


def test_failing_system_model_leaves_only_its_rows_missing(dataset, tmp_path):
    """One system model made to fail (a database error injected through the var
    `fail_system`): the other systems, the ensemble and the union still build, the
    failing system's rows of the date are missing (not stale), and the Phase 5 gate
    names it. Again when the failing system has no table at all (failed first build)."""
    if dataset["name"] != "generated":
        pytest.skip("generated data only (every system, the trained model included, predicts)")
    failing = "zone_matchup_v1"
    unaffected = {"moving_average", "similarity_balanced_v1", ML_SYSTEM}
    warehouse = _fresh_copy(dataset, "system_fails")
    day = dataset["last"]
    reference_systems = _systems_on(warehouse, day)
    assert failing in reference_systems and unaffected <= set(reference_systems)
    system_model = f"model.nba_pipeline.player_prop_predictions_{failing}"

    for first_build in (False, True):
        if first_build:
            execute(warehouse, f"drop table nba_predictions.player_prop_predictions_{failing}")
        result = run_dbt(
            ["build", "--select", "tag:phase_5", "--vars", f"{{fail_system: {failing}}}"],
            day,
            day,
            warehouse=warehouse,
            target_path=tmp_path / "target",
        )
        assert not result.succeeded
        status = {node.unique_id: node.status for node in result.nodes}
        assert {n.unique_id for n in result.failed_nodes if n.resource_type == "model"} == {system_model}
        assert "injected failure of prediction system zone_matchup_v1" in (
            next(n.message for n in result.nodes if n.unique_id == system_model) or ""
        )
        for model in (
            "player_prop_predictions",
            "player_prop_predictions_ensemble_v1",
            *(f"player_prop_predictions_{system}" for system in unaffected),
        ):
            assert status[f"model.nba_pipeline.{model}"] == "success", (model, status)
        # the other systems' rows are those of the reference build; the failing system's are gone
        assert _system_rows(warehouse, day, unaffected) == _system_rows(dataset["reference"], day, unaffected)
        systems = _systems_on(warehouse, day)
        assert failing not in systems and systems == {k: v for k, v in reference_systems.items() if k != failing}
        if not first_build:
            assert (
                query(
                    warehouse,
                    f"select count(*) from nba_predictions.player_prop_predictions_{failing} where game_date = ?",
                    [day],
                )[0][0]
                == 0
            )
        # the ensemble renormalised over the systems left; the gate names the missing system
        components = query(
            warehouse,
            "select max(components_used) from nba_predictions.player_prop_predictions "
            "where game_date = ? and system_id = 'ensemble_v1'",
            [day],
        )[0][0]
        assert components == len(unaffected)
        assert status["test.nba_pipeline.phase5_every_player_game_has_each_system"] == "fail"


def test_trained_model_is_a_reproducible_artifact(dataset, monkeypatch, tmp_path):
    """Registry: one row per season model, trained only on earlier seasons; retraining
    from scratch (artifact deleted) gives the same registry row and predictions. A store set by
    NBA_PIPELINE_MODEL_STORE (empty: trains again) gets the artifacts, the registry names them there."""
    warehouse = _fresh_copy(dataset, "reproducible")
    registry = {
        row[0]: row
        for row in query(
            warehouse,
            f"""
        select season_year, status, status_reason, training_seasons, training_end_date, training_rows,
               validation_mae, validation_baseline_mae, artifact_path, data_fingerprint
        from {REGISTRY_TABLE}""",
        )
    }
    season_starts = dict(query(warehouse, "select season_year, min(game_date) from nba_raw.nbac_schedule group by 1"))
    first_season = min(registry)
    assert registry[first_season][1:3] == ("skipped", "no earlier season to train on")
    trained = [row for row in registry.values() if row[1] == "trained"]
    assert trained
    for season, _, _, seasons, training_end, rows, val_mae, base_mae, artifact, fingerprint in trained:
        assert training_end < season_starts[season] and rows >= trained_model.MIN_TRAINING_ROWS
        assert all(int(s) < season for s in seasons.split(","))
        assert val_mae is not None and base_mae is not None and len(fingerprint) == 64
        assert artifact == f"models/{warehouse.stem}/{ML_SYSTEM}_{season}.joblib"

    window = dataset["window"]
    before_predictions = query(warehouse, f"select * from {PREDICTIONS_TABLE} order by all")
    before_registry = query(warehouse, f"select * from {REGISTRY_TABLE} order by all")
    with duckdb.connect(str(warehouse)) as con:  # no artifact next to this copy: it retrains
        outcome = run_trained_model_step(con, window[0], window[-1])
    assert outcome.status == "success" and "trained" in outcome.message and outcome.rows_written > 0
    assert (warehouse.parent / "models").is_dir()
    with duckdb.connect(str(warehouse)) as con:  # now the artifact is reused
        again = run_trained_model_step(con, window[0], window[-1])
    assert again.status == "success" and "reused" in again.message and again.rows_written == outcome.rows_written
    assert query(warehouse, f"select * from {PREDICTIONS_TABLE} order by all") == before_predictions
    assert query(warehouse, f"select * from {REGISTRY_TABLE} order by all") == before_registry

    store = tmp_path / "store"
    monkeypatch.setenv("NBA_PIPELINE_MODEL_STORE", str(store))
    with duckdb.connect(str(warehouse)) as con:
        elsewhere = run_trained_model_step(con, window[0], window[-1])
    assert "trained" in elsewhere.message and "reused" not in elsewhere.message, elsewhere.message
    assert query(warehouse, f"select * from {PREDICTIONS_TABLE} order by all") == before_predictions
    recorded = dict(
        query(warehouse, f"select season_year, artifact_path from {REGISTRY_TABLE} where status = 'trained'")
    )
    assert recorded == {season: str(store / f"{ML_SYSTEM}_{season}.joblib") for season, *_ in trained}
    assert all(Path(path).is_file() for path in recorded.values())


def test_trained_model_reads_training_rows_only_after_a_rebuild(dataset, monkeypatch):
    """A daily run predicts from the artifact without reading the training rows while no training
    date was rebuilt; a rebuild with the same rows reads and fingerprints them and reuses the model;
    changed training rows retrain it."""
    warehouse = _fresh_copy(dataset, "reuse")
    day = dataset["window"][-1]
    season = query(
        warehouse, "select distinct season_year from nba_precompute.ml_feature_store where game_date = ?", [day]
    )[0][0]
    reads: list[int] = []
    read_rows = trained_model._training_rows

    def counted(con, season_year):
        reads.append(season_year)
        return read_rows(con, season_year)

    monkeypatch.setattr(trained_model, "_training_rows", counted)

    def step() -> str:
        reads.clear()
        with duckdb.connect(str(warehouse)) as con:
            outcome = run_trained_model_step(con, day, day)
        assert outcome.status == "success" and outcome.rows_written > 0, outcome.message
        return outcome.message

    assert f"{season}: trained" in step() and reads == [season]  # no artifact next to this copy
    predictions = query(warehouse, f"select * from {PREDICTIONS_TABLE} where game_date = ? order by all", [day])
    assert f"{season}: reused" in step() and reads == []  # nothing rebuilt: no row read
    last_training_date = f"""(select max(game_date) from nba_precompute.ml_feature_store
                              where season_year < {season} and can_use_for_ml_training)"""
    execute(
        warehouse,
        f"update nba_precompute.ml_feature_store set build_id = 'rebuilt' where game_date = {last_training_date}",
    )
    assert f"{season}: reused" in step() and reads == [season]  # rebuilt, same rows: read, not refitted
    assert f"{season}: reused" in step() and reads == []  # the artifact follows the rebuild
    assert query(warehouse, f"select * from {PREDICTIONS_TABLE} where game_date = ? order by all", [day]) == predictions
    execute(
        warehouse,
        f"update nba_precompute.ml_feature_store set build_id = 'changed', "
        f"points_avg_last_5 = points_avg_last_5 + 1 where game_date = {last_training_date}",
    )
    assert f"{season}: trained" in step() and reads == [season]  # changed rows: refitted


def test_reused_model_predicts_the_same_without_scikit_learn(dataset):
    """A run that reuses a model predicts from the trees kept beside its artifact: the same predictions,
    in a process that never imports scikit-learn (the import cost a daily run more than predicting)."""
    warehouse = _fresh_copy(dataset, "no_sklearn")
    window = dataset["window"]
    with duckdb.connect(str(warehouse)) as con:  # no artifact next to this copy: trained, trees kept
        assert "trained" in run_trained_model_step(con, window[0], window[-1]).message
    predictions = query(warehouse, f"select * from {PREDICTIONS_TABLE} order by all")
    assert list((warehouse.parent / "models").rglob(f"*{trained_model.PREDICTOR_SUFFIX}.joblib"))
    # a predictor is kept only when it reproduces the model's own predictions
    artifact = next(p for p in (warehouse.parent / "models").rglob("*.joblib") if ".trees" not in p.name)
    model = joblib.load(artifact)["model"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        features = trained_model._matrix(con.execute(f"select * from {trained_model.FEATURE_STORE}").df())
    expected = model.predict(features)
    assert matching_predictor(model, features, expected) is not None
    assert matching_predictor(model, features, expected + 0.01) is None
    reuse = (
        "import sys, duckdb; from datetime import date; from orchestration.ml import run_trained_model_step\n"
        f"with duckdb.connect({str(warehouse)!r}) as con:\n"
        f"    outcome = run_trained_model_step(con, date.fromisoformat({str(window[0])!r}), "
        f"date.fromisoformat({str(window[-1])!r}))\n"
        "print(outcome.status, 'reused' in outcome.message and 'trained' not in outcome.message, 'sklearn' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", reuse], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert ran.stdout.split() == ["success", "True", "False"], ran.stdout + ran.stderr
    assert query(warehouse, f"select * from {PREDICTIONS_TABLE} order by all") == predictions


def test_each_season_trains_on_the_seasons_just_before_it(dataset, monkeypatch):
    """The training window: a season's model trains on the last TRAINING_SEASONS earlier seasons only, so the
    model step costs the same for every season. The datasets hold two seasons, so the window is narrowed to
    show it: one season back, the second season trains on the first; none back, nothing trains."""
    warehouse = _fresh_copy(dataset, "window")
    first, last = query(warehouse, "select min(game_date), max(game_date) from nba_precompute.ml_feature_store")[0]

    def registry_after_step(window: int) -> list[tuple]:
        monkeypatch.setattr(trained_model, "TRAINING_SEASONS", window)
        with duckdb.connect(str(warehouse)) as con:
            run_trained_model_step(con, first, last)
        return query(warehouse, f"select season_year, status, training_seasons from {REGISTRY_TABLE} order by 1")

    seasons = [row[0] for row in registry_after_step(1)]
    assert registry_after_step(1)[1:] == [(season, "trained", str(season - 1)) for season in seasons[1:]]
    assert {status for _, status, _ in registry_after_step(0)} == {"skipped"}


# --------------------------------------------------------------------------- dbt craft


def _project_copy(tmp_path: Path) -> Path:
    """A copy of the dbt project (dbt_project/, macros/, seeds/) to break; its dbt_project folder."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages")
    for folder in ("dbt_project", "macros", "seeds"):
        if (PROJECT_ROOT / folder).is_dir():
            shutil.copytree(PROJECT_ROOT / folder, copy / folder, ignore=ignore)
    return copy / "dbt_project"


def _unit_test_results(project_dir: Path, warehouse: Path, target: Path) -> dict[str, str]:
    """`dbt test --select test_type:unit`: unit test name -> status. The run window is set, as
    in every build of the pipeline: the unit tests must not depend on it."""
    day = date(2023, 1, 10)
    result = DbtProject(warehouse, project_dir, target).invoke(["test", "--select", "test_type:unit"], day, day)
    return {node.unique_id.split(".")[-1]: node.status for node in result.nodes if node.resource_type == "unit_test"}


def test_formula_unit_tests_pass_and_catch_a_broken_formula(dataset, tmp_path):
    """The dbt unit tests (fixtures in, expected rows out) pass; in a copy of the project
    where a made three counts 1.4 field goals instead of 1.5 in eFG%, exactly the test of
    that formula fails."""
    if dataset["name"] != "generated":
        pytest.skip("one warehouse is enough: unit tests read fixtures, not data")
    warehouse = _fresh_copy(dataset, "unit_tests")  # dict fixtures take column types from the built tables
    passing = _unit_test_results(DBT_PROJECT_DIR, warehouse, tmp_path / "target")
    assert len(passing) >= 7 and set(passing.values()) == {"pass"}, passing

    project = _project_copy(tmp_path)
    formulas = project.parent / "macros" / "game_formulas.sql"
    correct = "fgm ~ ' + 0.5 * ' ~ fg3m"
    assert correct in formulas.read_text()
    formulas.write_text(formulas.read_text().replace(correct, "fgm ~ ' + 0.4 * ' ~ fg3m"))
    broken = _unit_test_results(project, warehouse, tmp_path / "target_broken")
    assert {name for name, status in broken.items() if status != "pass"} == {
        "team_offense_true_shooting_and_effective_fg"
    }
    assert broken.keys() == passing.keys()


def test_contract_stops_a_changed_column_type_before_it_writes(dataset, tmp_path):
    """The tables Python reads have enforced contracts: in a copy of the project whose
    player_prop_predictions writes `confidence` as a DOUBLE instead of its decimal, the
    model's build fails on the contract, naming the column, and the table keeps its rows."""
    if dataset["name"] != "generated":
        pytest.skip("the same models on both datasets")
    warehouse, day = _fresh_copy(dataset, "contract"), dataset["last"]
    table = "nba_predictions.player_prop_predictions"
    before = query(warehouse, f"select * from {table} where game_date = ? order by all", [day])
    assert before
    project = _project_copy(tmp_path)
    model = project / "models" / "predictions" / "player_prop_predictions.sql"
    final = "select * from final"
    assert model.read_text().rstrip().endswith(final)
    model.write_text(
        model.read_text().rstrip().removesuffix(final)
        + "select * replace (cast(confidence as double) as confidence) from final\n"
    )
    result = DbtProject(warehouse, project, tmp_path / "target").invoke(
        ["run", "--select", "player_prop_predictions"], day, day
    )
    models = [node for node in result.nodes if node.resource_type == "model"]
    assert [(node.relation, node.status) for node in models] == [(table, "error")]
    message = models[0].message or ""
    assert "contract" in message and "confidence" in message and "DOUBLE" in message, message
    assert query(warehouse, f"select * from {table} where game_date = ? order by all", [day]) == before


DOCUMENTED_FOLDERS = ("staging", "analytics", "precompute", "predictions")


def test_every_column_is_documented(dataset, dbt_target):
    """Every column of every staging, Phase 3-6 model, as built in the warehouse, has a
    description in the YAML (the manifest), every model has one, and no YAML column is
    stale (documented but not produced)."""
    if dataset["name"] != "generated":
        pytest.skip("the same models on both datasets")
    manifest = json.loads(ensure_manifest().read_text())
    built: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in query(
        dataset["reference"],
        "select table_schema, table_name, column_name from information_schema.columns order by ordinal_position",
    ):
        built.setdefault((schema, table), []).append(column)
    models = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["fqn"][1] in DOCUMENTED_FOLDERS
        and node["config"]["materialized"] != "ephemeral"
    ]
    assert len(models) >= 23
    problems = []
    for node in models:
        name, produced = node["name"], built.get((node["schema"], node["alias"]))
        assert produced, f"{name} is not built in the reference warehouse"
        described = {column: entry.get("description", "").strip() for column, entry in node["columns"].items()}
        if not node["description"].strip():
            problems.append(f"{name}: no model description")
        problems += [f"{name}.{column}: no description" for column in produced if not described.get(column)]
        problems += [f"{name}.{column}: documented, not produced" for column in described.keys() - set(produced)]
    assert not problems, f"{len(problems)} documentation problems:\n" + "\n".join(problems)


def test_feature_list_is_the_feature_store(dataset):
    columns = {
        row[0]
        for row in query(
            dataset["reference"],
            "select column_name from information_schema.columns "
            "where table_schema = 'nba_precompute' and table_name = 'ml_feature_store'",
        )
    }
    assert set(FEATURES_V1) <= columns and "target_points" not in FEATURES_V1
    # no processing timestamps anywhere: the tables are functions of the data only
    types = query(
        dataset["reference"],
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "where table_schema in ('nba_precompute', 'nba_predictions') and data_type like 'TIMESTAMP%'",
    )
    assert types == []


# --------------------------------------------------------------------------- report


def test_accuracy_report(dataset):
    with duckdb.connect(str(dataset["reference"]), read_only=True) as con:
        report = accuracy_report(con, None)
        seasons = sorted({s for row in report for s in row["seasons"].split(",")})
        by_season = accuracy_report(con, int(seasons[-1]))
        print("\n" + format_accuracy_report(report))
    systems = {row["system_id"]: row for row in report}
    assert set(systems) == ALWAYS_ON_SYSTEMS | {ML_SYSTEM}
    for row in report:
        assert row["graded"] > 0 and 0 < row["mae"] < 15 and row["baseline_mae"] > 0
        assert row["mae_vs_moving_average"] == pytest.approx(row["mae"] - row["baseline_mae"], abs=1e-3)
    assert systems["moving_average"]["mae_vs_moving_average"] == 0
    # the always-on systems grade the same player-games
    assert len({systems[s]["graded"] for s in ALWAYS_ON_SYSTEMS}) == 1
    assert systems[ML_SYSTEM]["graded"] < systems["moving_average"]["graded"]  # nothing for the first season
    if dataset["name"] == "generated":
        for system_id in ALWAYS_ON_SYSTEMS:
            assert systems[system_id]["recommendations"] > 0 and 0 <= systems[system_id]["hit_rate"] <= 1
    else:
        assert all(row["hit_rate"] is None and row["recommendations"] == 0 for row in report)
    assert {row["system_id"] for row in by_season} == set(systems)
    assert sum(r["graded"] for r in by_season) < sum(r["graded"] for r in report)
