"""Gaps and self-healing on a generated season, with real pipeline runs:
Phase 2 loaded with nothing downstream is healed through every phase (the module's
warehouse is built that way); mid-season gaps (missing and stale, in three phase
pairs) are detected, recorded once and healed by one cascading run; old gaps alert
and are not healed; an open circuit skips; the Dagster sensor asks for the same runs."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from support import table_differences
from test_monitoring_support import (
    GENERATED_END,
    GENERATED_START,
    GENERATED_TODAY,
    built_generated,
    copy_to,
    corrected_landing,
    generated_heal,
    sql,
)

from orchestration.cli import main
from orchestration.completeness import coverage_by_date
from orchestration.loading import load_landing
from orchestration.monitoring.alerts import Alerter
from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key
from orchestration.monitoring.gaps import (
    GapRecord,
    PhasePair,
    all_gaps,
    find_gaps,
    ignore_gaps,
    open_gaps,
    scan_gaps,
)
from orchestration.monitoring.healing import HealPlan, HealRange, group_ranges, heal
from orchestration.warehouse import connect

D_PHASE3_HOLE = date(2021, 11, 5)  # player_game_summary rows deleted: 2->3 missing
D_PHASE4_HOLE = date(2021, 11, 8)  # ml_feature_store rows deleted: 3->4 missing
D_RELOADED = date(2021, 11, 12)  # a corrected box score loaded after the build: later dates stale (2->3)
D_RAW_HOLE = date(2021, 11, 15)  # box scores deleted: schedule->2 missing
ALL_TABLES = (
    "nba_analytics.player_game_summary",
    "nba_analytics.upcoming_player_game_context",
    "nba_analytics.team_offense_game_summary",
    "nba_precompute.ml_feature_store",
    "nba_precompute.player_daily_cache",
    "nba_predictions.player_prop_predictions",
    "nba_predictions.prediction_accuracy",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory, in_season_landing) -> Path:
    return built_generated(tmp_path_factory, in_season_landing)


def _keys(gaps) -> set[tuple]:
    return {(g.phase_from, g.phase_to, g.game_date, getattr(g, "kind", None) or g.gap_kind) for g in gaps}


def _game_dates(warehouse: Path, start: date, end: date) -> list[date]:
    return [
        r[0]
        for r in sql(
            warehouse,
            "select distinct game_date from nba_raw.nbac_schedule "
            "where game_date between ? and ? and game_status = 3 order by 1",
            [start, end],
        )
    ]


def _new_gap_rows(con, built: Path) -> list[GapRecord]:
    """data_gaps rows recorded after the module's build (the build itself closed a heal's gaps)."""
    with connect(built) as built_con:
        known = {g.gap_id for g in all_gaps(built_con)}
    return [g for g in all_gaps(con) if g.gap_id not in known]


def _incomplete(warehouse: Path) -> list[tuple]:
    with connect(warehouse) as con:
        return [(c.phase, c.game_date) for c in coverage_by_date(con) if not c.is_complete]


def test_complete_warehouse_has_no_gaps(built, tmp_path, monkeypatch, capsys):
    warehouse = copy_to(built, tmp_path)
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(warehouse))
    assert main(["gaps", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["gaps"]) == 0
    out = capsys.readouterr().out
    assert "schedule->2: no gaps" in out and "5->6: no gaps" in out


def test_mid_season_gaps_are_detected_once_and_healed_by_one_run(
    built, tmp_path, in_season_landing, monkeypatch, capsys
):
    warehouse = copy_to(built, tmp_path)
    sql(warehouse, "delete from nba_analytics.player_game_summary where game_date = ?", [D_PHASE3_HOLE])
    sql(warehouse, "delete from nba_precompute.ml_feature_store where game_date = ?", [D_PHASE4_HOLE])
    sql(warehouse, "delete from nba_raw.nbac_player_boxscore where game_date = ?", [D_RAW_HOLE])
    sql(warehouse, "delete from nba_raw.nbac_team_boxscore where game_date = ?", [D_RAW_HOLE])
    with connect(warehouse) as con:
        load_landing(
            corrected_landing(in_season_landing, tmp_path / "corrected", D_RELOADED),
            start=D_RELOADED,
            end=D_RELOADED,
            con=con,
        )

    with connect(warehouse) as con:
        found = find_gaps(con)
    # stale from the correction up to the raw hole: later dates are the raw hole's (reported where it starts)
    stale_dates = list(_game_dates(warehouse, D_RELOADED, D_RAW_HOLE - timedelta(days=1)))
    holes = {(1, 2, D_RAW_HOLE, "missing"), (2, 3, D_PHASE3_HOLE, "missing"), (3, 4, D_PHASE4_HOLE, "missing")}
    corrected = {(2, 3, d, "stale") for d in stale_dates}
    assert holes | corrected <= _keys(found)
    # the rest is downstream of a hole or the correction: later phases whose windows read the changed dates
    first_change = {3: D_PHASE3_HOLE, 4: D_PHASE3_HOLE, 5: D_PHASE3_HOLE, 6: D_PHASE3_HOLE}
    for phase_from, phase_to, day, kind in _keys(found) - holes - corrected:
        assert kind == "stale" and phase_to >= 4 and day >= first_change[phase_to], (phase_from, phase_to, day)
    expected = _keys(found)

    # the CLI lists them read-only, as not recorded yet; recording them is the healer's (and the sensor's)
    monkeypatch.setenv("NBA_PIPELINE_DUCKDB", str(warehouse))
    assert main(["gaps", "--json", "--today", "2021-11-25"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {
        (g["phase_from"], g["phase_to"], date.fromisoformat(g["game_date"]), g["gap_kind"]) for g in listed
    } == expected
    assert {(g["gap_id"], g["healing_status"]) for g in listed} == {(None, "pending")}
    assert next(g for g in listed if g["game_date"] == D_RAW_HOLE.isoformat())["gap_age_days"] == 10
    assert main(["gaps", "--today", "2021-11-25"]) == 0
    assert f"{len(expected)} new" in capsys.readouterr().out
    with connect(warehouse) as con:
        assert _new_gap_rows(con, built) == []
        scan_gaps(con, today=date(2021, 11, 25))  # recorded once; the CLI then shows the recorded rows
        recorded = {g.gap_id for g in _new_gap_rows(con, built)}
    assert len(recorded) == len(expected)
    assert main(["gaps", "--json", "--today", "2021-11-25"]) == 0
    assert {g["gap_id"] for g in json.loads(capsys.readouterr().out)} == recorded
    assert main(["gaps", "--today", "2021-11-25"]) == 0
    assert "0 new" in capsys.readouterr().out

    report = heal(warehouse, today=date(2021, 11, 25), landing=in_season_landing)
    # phase order with the later pairs folded in: ONE run from the earliest hole, cascading to the end
    assert [r.status for r in report.runs] == ["success"]
    run = report.runs[0]
    assert (run.range.pair.label, run.range.start, run.cascaded_end) == ("schedule->2", D_PHASE3_HOLE, GENERATED_END)
    assert report.remaining == [] and report.healed == len(expected)
    assert _incomplete(warehouse) == []
    with connect(warehouse) as con:
        rows = _new_gap_rows(con, built)
        assert {g.healing_status for g in rows} == {"complete"} and all(g.healed_at for g in rows)
        assert find_gaps(con) == []
        history = con.execute(
            "select distinct phase from nba_orchestration.pipeline_run_history where run_id = ? and status = 'success'",
            [run.run_id],
        ).fetchall()
        assert sorted(h[0] for h in history) == [2, 3, 4, 5, 6]  # the load, then every built phase
    # healed tables equal the clean build, row for row
    for table in ALL_TABLES:
        left, right, only_left, only_right = table_differences(built, warehouse, table)
        assert (left, only_left, only_right) == (right, 0, 0), table

    again = heal(warehouse, today=date(2021, 11, 25), landing=in_season_landing)
    assert again.runs == [] and again.summary() == "heal: no gaps: nothing to do"
    with connect(warehouse) as con:
        assert len(_new_gap_rows(con, built)) == len(expected)


def test_phase2_loaded_with_nothing_downstream_heals_through_every_phase(built, tmp_path_factory, in_season_landing):
    """The acceptance: load Phase 2 for a range with nothing downstream, heal, every phase complete,
    no gap left; heal again: nothing. (The module's warehouse is built exactly this way.)"""
    before, report = generated_heal(tmp_path_factory, in_season_landing)
    dates = _game_dates(built, GENERATED_START, GENERATED_END)
    assert _keys(before) == {(2, 3, d, "missing") for d in dates}
    # one run over the contiguous range, every phase after the load, in one dbt build per dbt stretch
    assert [(r.range.pair.label, r.range.start, r.range.end, r.status) for r in report.runs] == [
        ("2->3", dates[0], dates[-1], "success")
    ]
    assert report.healed == len(dates) and report.remaining == []
    with connect(built) as con:
        cells = coverage_by_date(con)
        assert {c.phase for c in cells} == {2, 3, 4, 5, 6} and len(cells) == 5 * len(dates)
        assert all(c.is_complete for c in cells)
        assert open_gaps(con) == [] and find_gaps(con) == []
        assert {g.healing_status for g in all_gaps(con)} == {"complete"}
    warehouse = copy_to(built, tmp_path_factory.mktemp("again"))
    again = heal(warehouse, today=GENERATED_TODAY, max_age_days=60)
    assert again.runs == [] and again.remaining == []


def test_old_gaps_alert_once_and_are_not_healed(built, tmp_path):
    warehouse = copy_to(built, tmp_path)
    sql(warehouse, "delete from nba_analytics.player_game_summary where game_date = ?", [D_PHASE3_HOLE])
    today = date(2022, 6, 1)  # the hole is 208 days old
    report = heal(warehouse, today=today)
    assert report.runs == [] and report.alerted_old == 1
    assert [(g.pair, g.game_date, g.healing_status) for g in report.too_old] == [("2->3", D_PHASE3_HOLE, "pending")]
    assert (3, D_PHASE3_HOLE) in _incomplete(warehouse)  # not healed
    alerts = sql(
        warehouse,
        "select a.severity, d.category, a.message from nba_orchestration.alerts a "
        "join nba_orchestration.alert_details d using (alert_id)",
    )
    assert len(alerts) == 1
    severity, category, message = alerts[0]
    assert (severity, category) == ("warning", "gap_too_old")
    assert "2->3" in message and str(D_PHASE3_HOLE) in message and "--max-age-days 208" in message
    with connect(warehouse) as con:
        (gap,) = open_gaps(con)
        assert gap.alerted_at is not None and gap.gap_age_days == 208

    # again: still not healed, not alerted twice; a larger limit would heal it
    assert heal(warehouse, today=today).runs == []
    assert sql(warehouse, "select count(*) from nba_orchestration.alerts") == [(1,)]
    planned = heal(warehouse, today=today, max_age_days=365, dry_run=True)
    assert [(r.range.pair.label, r.range.start) for r in planned.runs] == [("2->3", D_PHASE3_HOLE)]


def test_open_circuit_skips_healing_with_circuit_open(built, tmp_path):
    warehouse = copy_to(built, tmp_path)
    sql(warehouse, "delete from nba_analytics.player_game_summary where game_date = ?", [D_PHASE3_HOLE])
    with connect(warehouse) as con:
        breaker = CircuitBreaker(con, processor_key(3), alerter=Alerter(con))
        for _ in range(5):
            breaker.record_failure("dbt build failed")
        assert breaker.state == "OPEN"
    report = heal(warehouse, today=date(2021, 11, 25))
    assert [r.status for r in report.runs] == ["skipped"]
    assert sql(
        warehouse,
        "select status, skip_reason, phase, game_date from nba_orchestration.pipeline_run_history where run_id = ?",
        [report.runs[0].run_id],
    ) == [("skipped", "circuit_open", 3, D_PHASE3_HOLE)]
    with connect(warehouse) as con:
        assert [g.healing_status for g in open_gaps(con)] == ["pending"]
    # the critical "circuit opened" alert went out at once
    assert sql(
        warehouse,
        "select d.category, a.severity, a.delivery from nba_orchestration.alerts a "
        "join nba_orchestration.alert_details d using (alert_id)",
    ) == [("circuit_open", "critical", "immediate")]


def test_rescans_never_duplicate_and_ignored_stays_ignored(built, tmp_path):
    warehouse = copy_to(built, tmp_path)
    sql(
        warehouse,
        "delete from nba_analytics.team_offense_game_summary where game_date between ? and ?",
        [date(2021, 11, 2), date(2021, 11, 3)],
    )
    with connect(warehouse) as con:
        first = scan_gaps(con, today=date(2021, 11, 25))
        assert (first.new, first.closed) == (2, 0)
        second = scan_gaps(con, today=date(2021, 11, 26))
        assert (second.new, second.closed) == (0, 0)
        assert [g.gap_age_days for g in open_gaps(con)] == [24, 23]
        assert ignore_gaps(con, 3, [date(2021, 11, 2)]) == 1
        third = scan_gaps(con, today=date(2021, 11, 26))
        assert third.new == 0 and [g.game_date for g in third.open_gaps] == [date(2021, 11, 3)]
        assert len(_new_gap_rows(con, built)) == 2


def _gap(pair: tuple[int, int], day: date, status: str = "pending") -> GapRecord:
    now = datetime(2021, 12, 1)
    return GapRecord(f"{pair}-{day}", now, pair[0], pair[1], day, "missing", 1, status, None, now, None, None, None, "")


def test_ranges_follow_game_dates_and_seasons():
    game_dates = {
        2021: [date(2021, 11, 1), date(2021, 11, 2), date(2021, 11, 4), date(2021, 11, 5), date(2021, 11, 6)],
        2022: [date(2022, 10, 18), date(2022, 10, 19)],
    }
    gaps = [
        _gap((2, 3), d)
        for d in (date(2021, 11, 2), date(2021, 11, 4), date(2021, 11, 6), date(2022, 10, 18), date(2022, 10, 19))
    ]
    ranges = [(season, start, end) for season, start, end, _ in group_ranges(gaps, game_dates)]
    # 11-03 has no games: 11-02 and 11-04 are one range; 11-05 is a game date without a gap: it splits
    assert ranges == [
        (2021, date(2021, 11, 2), date(2021, 11, 4)),
        (2021, date(2021, 11, 6), date(2021, 11, 6)),
        (2022, date(2022, 10, 18), date(2022, 10, 19)),
    ]


def test_next_runs_take_the_first_pair_and_fold_in_earlier_later_pair_gaps():
    schedule_gap = _gap((1, 2), date(2021, 11, 15))
    phase3_gap = _gap((2, 3), date(2021, 11, 5))
    phase4_gap = _gap((3, 4), date(2021, 11, 20))
    other_season = _gap((2, 3), date(2022, 11, 5))
    plan = HealPlan(
        [
            HealRange(PhasePair(1, 2), 2021, schedule_gap.game_date, schedule_gap.game_date, [schedule_gap]),
            HealRange(PhasePair(2, 3), 2021, phase3_gap.game_date, phase3_gap.game_date, [phase3_gap]),
            HealRange(PhasePair(2, 3), 2022, other_season.game_date, other_season.game_date, [other_season]),
            HealRange(PhasePair(3, 4), 2021, phase4_gap.game_date, phase4_gap.game_date, [phase4_gap]),
        ],
        [],
        [],
    )
    (run,) = plan.next_runs()
    assert (run.pair.label, run.start, run.end) == ("schedule->2", date(2021, 11, 5), date(2021, 11, 20))
    assert {g.gap_id for g in run.gaps} == {schedule_gap.gap_id, phase3_gap.gap_id, phase4_gap.gap_id}
    assert [p.number for p in run.phases] == [3, 4, 5, 6]
    # the 2022 gap waits for the round after (schedule->2 goes first), where it is a run of its own
    rest = HealPlan([r for r in plan.ranges if r.season_year == 2022], [], []).next_runs()
    assert [(r.pair.label, r.start) for r in rest] == [("2->3", date(2022, 11, 5))]
    # two ranges of one pair and season: the cascade joins them, one run
    a, b = _gap((2, 3), date(2021, 11, 2)), _gap((2, 3), date(2021, 11, 9))
    joined = HealPlan(
        [
            HealRange(PhasePair(2, 3), 2021, a.game_date, a.game_date, [a]),
            HealRange(PhasePair(2, 3), 2021, b.game_date, b.game_date, [b]),
        ],
        [],
        [],
    ).next_runs()
    assert [(r.start, r.end, len(r.gaps)) for r in joined] == [(a.game_date, b.game_date, 2)]


def test_healing_sensor_requests_one_cascading_range_run(built, tmp_path):
    from dagster import AssetSelection, DagsterInstance, Definitions, asset, build_sensor_context

    from orchestration.dagster.monitoring_assets import build_gap_healing_sensor
    from orchestration.dagster.partitions import GAME_DATE_PARTITIONS
    from orchestration.monitoring.healing import healing_requests

    warehouse = copy_to(built, tmp_path)
    sql(warehouse, "delete from nba_analytics.player_game_summary where game_date = ?", [D_PHASE3_HOLE])
    requests, _ = healing_requests(warehouse, today=date(2021, 11, 25), now=datetime(2021, 11, 25, 8))
    (request,) = requests
    assert (request.pair, request.start, request.end, request.phases) == (
        "2->3",
        D_PHASE3_HOLE,
        GENERATED_END,
        [3, 4, 5, 6],
    )
    assert request.tags["dagster/asset_partition_range_start"] == "2021-11-05"
    assert request.tags["dagster/asset_partition_range_end"] == GENERATED_END.isoformat()
    with connect(warehouse) as con:
        (gap,) = open_gaps(con)
        assert (gap.healing_status, gap.heal_run_id) == ("triggered", request.run_key)
    # while its run has not closed the gap, the next tick waits ...
    waiting, reason = healing_requests(warehouse, today=date(2021, 11, 25), now=datetime(2021, 11, 25, 9))
    assert waiting == [] and "wait for their run" in reason
    # ... and after the retrigger window the heal counts as failed (breaker) and is requested again
    retried, _ = healing_requests(warehouse, today=date(2021, 11, 25), now=datetime(2021, 11, 25, 11))
    assert len(retried) == 1 and retried[0].run_key != request.run_key
    with connect(warehouse) as con:
        state = CircuitBreaker(con, processor_key(3)).load()
        assert (state.state, state.consecutive_failures) == ("CLOSED", 1)

    # the Dagster sensor turns the same decision into a RunRequest over the phases' assets
    sql(warehouse, "update nba_orchestration.data_gaps set healing_status = 'pending'")
    assets = [
        asset(name=f"p{n}_table", group_name=f"phase_{n}", partitions_def=GAME_DATE_PARTITIONS)(lambda: None)
        for n in (2, 3, 4, 5, 6)
    ]
    sensor_def = build_gap_healing_sensor(
        lambda phases: AssetSelection.groups(*[f"phase_{n}" for n in phases]), warehouse=warehouse, max_age_days=100000
    )
    definitions = Definitions(assets=assets, sensors=[sensor_def])
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, repository_def=definitions.get_repository_def())
        result = sensor_def.evaluate_tick(context)
    (run_request,) = result.run_requests
    assert sorted(k.to_user_string() for k in run_request.asset_selection) == [
        "p3_table",
        "p4_table",
        "p5_table",
        "p6_table",
    ]
    assert run_request.tags["dagster/asset_partition_range_start"] == "2021-11-05"
