"""`nba-pipeline validate --date D`: five levels, each PASS / WARN / FAIL, and an overall verdict.

- execution:    every phase's latest run for D succeeded (or was skipped for a good reason); the sources'
                freshness (`dbt source freshness`; for a historical D an old load is a warning)
- volume:       rows per table against what the schedule (and the box scores) imply for D
- quality:      nulls in required fields, and the project's dbt data tests over D: impossible values
                (severity error) FAIL, implausible ones (severity warn) WARN; the limits live in the
                models' YAML only (orchestration/monitoring/dbt_checks.py runs them)
- dependencies: no gap for D between any two phases, no stale phase, nothing downstream of a hole
- business:     a sample of rolling averages and ratings recomputed in Python from nba_raw
                (orchestration.monitoring.recompute) against the tables

Overall is the worst level; the CLI exits non-zero on FAIL.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from orchestration.completeness import coverage_by_date, existing_tables
from orchestration.monitoring import recompute
from orchestration.monitoring.dbt_checks import DbtDateChecks
from orchestration.monitoring.gaps import find_gaps, pair_label
from orchestration.monitoring.run_state import latest_runs
from orchestration.phases import PHASES
from orchestration.source_versions import VERSIONS_TABLE
from orchestration.warehouse import Session, as_session

LEVELS = ("execution", "volume", "quality", "dependencies", "business")
PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
_RANK = {PASS: 0, WARN: 1, FAIL: 2}
TOLERANCE = 0.0101  # one unit in the second decimal (rates are stored rounded to 2 decimals)


@dataclass(frozen=True)
class Check:
    level: str
    name: str
    status: str
    message: str


@dataclass
class LevelResult:
    level: str
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> str:
        return max((c.status for c in self.checks), key=_RANK.get, default=PASS)

    def summary(self, limit: int = 3, width: int = 180) -> str:
        bad = sorted((c for c in self.checks if c.status != PASS), key=lambda c: -_RANK[c.status])
        if not bad:
            return f"{len(self.checks)} check(s) passed"
        shown = "; ".join(_clip(f"{c.name}: {c.message}", width) for c in bad[:limit])
        return shown + (f" (+{len(bad) - limit} more, --verbose lists them)" if len(bad) > limit else "")


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass
class ValidationReport:
    game_date: date
    final_games: int
    levels: list[LevelResult]

    @property
    def status(self) -> str:
        return max((level.status for level in self.levels), key=_RANK.get, default=PASS)

    @property
    def exit_code(self) -> int:
        return 1 if self.status == FAIL else 0

    def level(self, name: str) -> LevelResult:
        return next(level for level in self.levels if level.level == name)

    def format(self, verbose: bool = False) -> str:
        lines = [f"validate {self.game_date}: {self.final_games} final game(s)"]
        for level in self.levels:
            lines.append(f"  {level.level:<13} {level.status:<5} {level.summary()}")
            if verbose:
                lines.extend(f"      {c.status:<5} {c.name}: {c.message}" for c in level.checks)
        lines.append(f"  {'overall':<13} {self.status}")
        return "\n".join(lines)


def _columns(con: Session, table: str) -> list[str]:
    return as_session(con).columns(table)


def _scalar(con, sql: str, params=None):
    return con.execute(sql, params or []).fetchone()[0]


# ---------------------------------------------------------------- execution


def _loaded_at(con, day: date):
    """When the date's raw rows were last written (their content version), None if never."""
    if VERSIONS_TABLE not in existing_tables(con):
        return None
    return _scalar(
        con,
        f"select max(written_at) from {VERSIONS_TABLE} where game_date = ? and source_table like 'nba_raw.%'",
        [day],
    )


_GOOD_SKIPS = {"no_games", "unchanged_inputs"}


# the daily schedule builds yesterday..today: an older date is historical (a backfill), where a source
# not loaded for days is expected and its freshness error only a warning
CURRENT_DAYS = 1


def _freshness_checks(checks: DbtDateChecks, today: date) -> list[Check]:
    historical = checks.game_date < today - timedelta(days=CURRENT_DAYS)
    found = []
    for source in checks.freshness:
        if source.age_seconds is None:  # no rows at all (a source this dataset does not hold, e.g. props)
            found.append(
                Check(
                    "execution",
                    f"freshness {source.relation}",
                    PASS,
                    "no rows loaded: no freshness to judge (volume and dependencies check the data)",
                )
            )
            continue
        age = f"last loaded {source.age_seconds / 3600:.1f} h ago"
        if source.status == "pass":
            status, message = PASS, age
        elif source.status == "warn":
            status, message = WARN, f"{age} (past the warn threshold of dbt_project.yml's source freshness)"
        elif historical:
            status, message = WARN, f"{age}: stale for today, not an error for the historical date {checks.game_date}"
        else:
            status, message = FAIL, f"{age} ({source.status}: {(source.message or '').strip()[:200]})"
        found.append(Check("execution", f"freshness {source.relation}", status, message))
    return found


def check_execution(
    con, day: date, final_games: int, checks: DbtDateChecks | None = None, today: date | None = None
) -> LevelResult:
    result = LevelResult("execution")
    if checks is not None:
        result.checks.extend(_freshness_checks(checks, today or date.today()))
    runs = latest_runs(con, day, day)
    loaded = _loaded_at(con, day)
    complete = {c.phase: c.is_complete for c in coverage_by_date(con, PHASES, day, day)}
    for phase in PHASES:
        name = f"phase {phase.number} {phase.name}"
        run = runs.get((phase.number, day))
        if run is None:
            if phase.number == 2 and loaded is not None:
                result.checks.append(Check("execution", name, PASS, f"loaded at {loaded:%Y-%m-%d %H:%M:%S}"))
            elif final_games == 0:
                result.checks.append(Check("execution", name, PASS, "no final games: nothing to run"))
            elif complete.get(phase.number):
                result.checks.append(Check("execution", name, WARN, "complete, but no run is recorded for it"))
            else:
                result.checks.append(Check("execution", name, FAIL, "never ran and the data is incomplete"))
            continue
        when = f"run {run.run_id} at {run.finished_at:%Y-%m-%d %H:%M:%S}"
        if run.status == "success":
            result.checks.append(Check("execution", name, PASS, f"success ({when})"))
        elif run.status == "skipped" and run.skip_reason in _GOOD_SKIPS:
            result.checks.append(Check("execution", name, PASS, f"skipped: {run.skip_reason} ({when})"))
        elif run.status == "skipped":
            status = WARN if complete.get(phase.number) else FAIL
            result.checks.append(Check("execution", name, status, f"skipped: {run.skip_reason} ({when})"))
        else:
            result.checks.append(Check("execution", name, FAIL, f"{run.status} ({when}): {(run.message or '')[:300]}"))
    return result


# ---------------------------------------------------------------- volume


def _final_filter(alias: str = "t") -> str:
    return f"{alias}.game_id in (select game_id from nba_raw.nbac_schedule where game_date = $day and game_status = 3)"


def check_volume(con, day: date, final_games: int) -> LevelResult:
    result = LevelResult("volume")
    tables = existing_tables(con)

    def add(name, status, message):
        return result.checks.append(Check("volume", name, status, message))

    params = {"day": day}
    team_games = 2 * final_games

    def count(table: str, extra: str = "") -> int:
        return _scalar(
            con, f"select count(*) from {table} as t where t.game_date = $day and {_final_filter()} {extra}", params
        )

    if "nba_raw.nbac_team_boxscore" not in tables:
        add("nba_raw", FAIL, "no Phase 2 tables")
        return result
    raw_team = count("nba_raw.nbac_team_boxscore")
    add(
        "nba_raw.nbac_team_boxscore",
        PASS if raw_team == team_games else FAIL,
        f"{raw_team} team rows, the schedule implies {team_games}",
    )
    raw_players = count("nba_raw.nbac_player_boxscore")
    played = count("nba_raw.nbac_player_boxscore", "and t.seconds_played > 0 and not t.is_dnp")
    thin = con.execute(
        """select s.game_id, team, coalesce(n, 0) from
              (select game_id, home_team_abbr as team from nba_raw.nbac_schedule where game_date = $day and game_status = 3
               union all
               select game_id, away_team_abbr from nba_raw.nbac_schedule where game_date = $day and game_status = 3) as s
            left join (select game_id, team_abbr, count(*) as n from nba_raw.nbac_player_boxscore
                       where game_date = $day and seconds_played > 0 group by all) as p
              on p.game_id = s.game_id and p.team_abbr = s.team
            where coalesce(n, 0) < 5""",
        params,
    ).fetchall()
    add(
        "nba_raw.nbac_player_boxscore",
        FAIL if thin else PASS,
        f"{raw_players} player rows, {played} who played"
        + (
            f"; {len(thin)} team-game(s) with fewer than 5 players who played, e.g. {thin[0][0]} {thin[0][1]}: {thin[0][2]}"
            if thin
            else "; every team-game has at least 5 players who played"
        ),
    )

    expected = {
        "nba_analytics.player_game_summary": (raw_players, "one per player box row"),
        "nba_analytics.team_offense_game_summary": (team_games, "two per final game"),
        "nba_analytics.team_defense_game_summary": (team_games, "two per final game"),
        "nba_analytics.upcoming_player_game_context": (played, "one per player who played"),
        "nba_analytics.upcoming_team_game_context": (team_games, "two per final game"),
        "nba_precompute.team_defense_zone_analysis": (team_games, "two per final game"),
        "nba_precompute.player_shot_zone_analysis": (played, "one per player who played"),
        "nba_precompute.player_daily_cache": (played, "one per player who played"),
        "nba_precompute.player_composite_factors": (played, "one per player who played"),
        "nba_precompute.ml_feature_store": (played, "one per player who played"),
    }
    for phase in PHASES[1:]:
        for table in phase.completeness_tables:
            if table not in tables:
                add(table, FAIL if final_games else PASS, "table does not exist")
                continue
            rows = count(table)
            if table == "nba_predictions.player_prop_predictions":
                _check_predictions(con, params, played, add)
                continue
            if table == "nba_predictions.prediction_accuracy" and "nba_predictions.player_prop_predictions" in tables:
                want, why = count("nba_predictions.player_prop_predictions"), "one per prediction"
            elif table in expected:
                want, why = expected[table]
            else:
                covered = _scalar(
                    con,
                    f"select count(distinct (game_id, team_abbr)) from {table} as t "
                    f"where t.game_date = $day and {_final_filter()}",
                    params,
                )
                add(
                    table,
                    PASS if covered == team_games else FAIL,
                    f"{rows} rows covering {covered} of {team_games} team-games",
                )
                continue
            add(table, PASS if rows == want else FAIL, f"{rows} rows, expected {want} ({why})")
    return result


def _check_predictions(con, params: dict, played: int, add) -> None:
    """Per system at most one row per player who played (a trained model may skip players
    without history), and at least one system covering every one of them."""
    table = "nba_predictions.player_prop_predictions"
    per_system = con.execute(
        f"select system_id, count(*), count(distinct player_id) from {table} as t "
        f"where t.game_date = $day and {_final_filter()} group by 1 order by 1",
        params,
    ).fetchall()
    counts = ", ".join(f"{system} {rows}" for system, rows, _ in per_system)
    too_many = [system for system, rows, players in per_system if rows > played or rows != players]
    if too_many:
        add(table, FAIL, f"more than one row per player who played ({played}) for {', '.join(too_many)}: {counts}")
    elif played and not any(rows == played for _, rows, _ in per_system):
        add(table, FAIL, f"no system covers all {played} players who played: {counts or 'no rows'}")
    else:
        add(table, PASS, f"{played} players who played; rows per system: {counts or 'none'}")


# ---------------------------------------------------------------- quality

_REQUIRED = {
    "nba_analytics.player_game_summary": (
        "game_id",
        "game_date",
        "season_year",
        "season_type",
        "player_id",
        "player_name",
        "team_abbr",
        "opponent_team_abbr",
        "is_home",
        "is_starter",
        "is_dnp",
        "minutes",
        "points",
        "fgm",
        "fga",
        "fg3m",
        "fg3a",
        "ftm",
        "fta",
        "oreb",
        "dreb",
        "reb",
        "ast",
        "stl",
        "blk",
        "tov",
        "pf",
        "plus_minus",
    ),
    "nba_analytics.team_offense_game_summary": (
        "game_id",
        "game_date",
        "team_abbr",
        "opponent_team_abbr",
        "is_home",
        "points",
        "possessions",
        "pace",
        "offensive_rating",
        "win_flag",
    ),
    "nba_analytics.team_defense_game_summary": (
        "game_id",
        "game_date",
        "team_abbr",
        "opponent_team_abbr",
        "is_home",
        "points_allowed",
        "possessions",
        "pace",
        "defensive_rating",
    ),
    "nba_analytics.upcoming_player_game_context": (
        "game_id",
        "game_date",
        "player_id",
        "team_abbr",
        "opponent_team_abbr",
        "is_back_to_back",
        "games_in_window",
        "calculation_quality",
    ),
    "nba_analytics.upcoming_team_game_context": (
        "game_id",
        "game_date",
        "team_abbr",
        "games_in_window",
        "calculation_quality",
    ),
    "nba_precompute.ml_feature_store": (
        "game_id",
        "game_date",
        "player_id",
        "feature_quality_score",
        "can_use_for_ml_training",
    ),
    "nba_predictions.player_prop_predictions": ("game_id", "game_date", "player_id", "system_id"),
    "nba_predictions.prediction_accuracy": ("game_id", "game_date", "player_id", "system_id", "actual_points"),
}

_TEST_STATUS = {"pass": PASS, "warn": WARN, "fail": FAIL, "error": FAIL, "runtime error": FAIL}


def _dbt_test_checks(checks: DbtDateChecks | None) -> list[Check]:
    """The dbt data tests over the date: one line for those that passed, one per test that did not."""
    if checks is None:
        return [Check("quality", "dbt data tests", WARN, "not run (nba-pipeline validate runs them through dbt)")]
    if checks.error and not checks.tests:
        return [Check("quality", "dbt data tests", FAIL, f"dbt could not run them: {checks.error[:300]}")]
    found = []
    passed = 0
    for test in sorted(checks.tests, key=lambda t: t.unique_id):
        status = _TEST_STATUS.get(test.status, WARN)
        if status == PASS:
            passed += 1
            continue
        name = test.unique_id.split(".")[2]
        rows = f"{test.failures} failing row(s)" if test.failures is not None else (test.message or test.status)
        found.append(Check("quality", name, status, f"{test.status}: {rows}"))
    found.append(
        Check("quality", "dbt data tests", PASS, f"{passed} of {len(checks.tests)} passed over {checks.game_date}")
    )
    return found


def check_quality(con, day: date, final_games: int, checks: DbtDateChecks | None = None) -> LevelResult:
    result = LevelResult("quality")
    tables = existing_tables(con)
    params = {"day": day}
    for table, required in _REQUIRED.items():
        if table not in tables:
            continue
        columns = set(_columns(con, table))
        present = [c for c in required if c in columns]
        nulls = con.execute(
            f"select {', '.join(f'count(*) filter (where {c} is null)' for c in present)} "
            f"from {table} where game_date = $day",
            params,
        ).fetchone()
        bad = [f"{c} ({n})" for c, n in zip(present, nulls) if n]
        result.checks.append(
            Check(
                "quality",
                f"{table} required fields",
                FAIL if bad else PASS,
                ("nulls in " + ", ".join(bad)) if bad else f"{len(present)} fields never null",
            )
        )
    result.checks.extend(_dbt_test_checks(checks))
    return result


# ---------------------------------------------------------------- dependencies


def check_dependencies(con, day: date, final_games: int) -> LevelResult:
    result = LevelResult("dependencies")
    gaps = [g for g in find_gaps(con, PHASES) if g.game_date == day]
    coverage = {c.phase: c for c in coverage_by_date(con, PHASES, day, day)}
    for index, phase in enumerate(PHASES):
        upstream_label = "schedule" if index == 0 else str(PHASES[index - 1].number)
        label = f"{upstream_label}->{phase.number}"
        phase_gaps = [g for g in gaps if g.phase_to == phase.number]
        if phase_gaps:
            for gap in phase_gaps:
                result.checks.append(
                    Check("dependencies", pair_label(gap.phase_from, gap.phase_to), FAIL, f"{gap.kind}: {gap.detail}")
                )
            continue
        cell = coverage.get(phase.number)
        upstream_cell = coverage.get(PHASES[index - 1].number) if index else None
        if cell and cell.present_games and upstream_cell is not None and not upstream_cell.all_present:
            result.checks.append(
                Check(
                    "dependencies",
                    label,
                    FAIL,
                    f"phase {phase.number} holds {cell.present_games} game(s) that phase "
                    f"{upstream_cell.phase} lacks ({upstream_cell.present_games} of "
                    f"{upstream_cell.final_games}): built from data since removed",
                )
            )
            continue
        result.checks.append(
            Check(
                "dependencies",
                label,
                PASS,
                "built from its inputs as they are now, gates passed" if index else "box scores cover the schedule",
            )
        )
    return result


# ---------------------------------------------------------------- business


def _differs(table_value, computed) -> bool:
    if table_value is None or computed is None:
        return (table_value is None) != (computed is None)
    return abs(float(table_value) - float(computed)) > TOLERANCE


def _compare(level: LevelResult, name: str, pairs: list[tuple[str, object, object]]) -> None:
    """pairs: (row label, table value, recomputed value)."""
    if not pairs:
        return
    wrong = [(label, t, c) for label, t, c in pairs if (_differs(t, c) if not isinstance(c, str) else t != c)]
    if wrong:
        label, t, c = wrong[0]
        level.checks.append(
            Check(
                "business",
                name,
                FAIL,
                f"{len(wrong)} of {len(pairs)} sampled row(s) differ, e.g. {label}: table {t}, recomputed {c}",
            )
        )
    else:
        level.checks.append(Check("business", name, PASS, f"{len(pairs)} sampled row(s) match"))


def check_business(con, day: date, final_games: int, sample_size: int = 25, seed: int = 0) -> LevelResult:
    result = LevelResult("business")
    tables = existing_tables(con)
    season = recompute.season_of_date(con, day)
    if not final_games or season is None:
        result.checks.append(Check("business", "sample", PASS, "no final games to recompute"))
        return result
    params = {"day": day}

    context = "nba_analytics.upcoming_player_game_context"
    if context in tables:
        rows = con.execute(
            f"select player_id, player_name, games_in_window, points_avg_last_5, points_avg_last_10, "
            f"minutes_avg_last_10, calculation_quality from {context} "
            f"where game_date = $day and game_status = 'final' order by player_id",
            params,
        ).fetchall()
        sample = random.Random(seed).sample(rows, min(sample_size, len(rows)))
        history = recompute.played_player_games(con, season, day, [r[0] for r in sample])
        checks = {
            "points_avg_last_5": [],
            "points_avg_last_10": [],
            "minutes_avg_last_10": [],
            "games_in_window": [],
            "calculation_quality": [],
        }
        for player_id, name, games, avg5, avg10, minutes10, quality in sample:
            window = recompute.player_window(history, player_id, day)
            label = f"{name} ({player_id})"
            checks["points_avg_last_5"].append((label, avg5, window.points_avg_last_5))
            checks["points_avg_last_10"].append((label, avg10, window.points_avg_last_10))
            checks["minutes_avg_last_10"].append((label, minutes10, window.minutes_avg_last_10))
            checks["games_in_window"].append((label, games, window.games_in_window))
            checks["calculation_quality"].append((label, quality, window.calculation_quality))
        for column, pairs in checks.items():
            _compare(result, f"{context}.{column}", pairs)
        if not rows:
            result.checks.append(Check("business", context, FAIL, "no rows to sample for a date with final games"))

    games = recompute.team_games(con, season, day)
    today_games = games[games.game_date.dt.date == day] if not games.empty else games
    recomputed = {(r.game_id, r.team_abbr): r for r in today_games.itertuples(index=False)}
    offense = "nba_analytics.team_offense_game_summary"
    if offense in tables:
        rows = con.execute(
            f"select game_id, team_abbr, possessions, pace, offensive_rating from {offense} where game_date = $day",
            params,
        ).fetchall()
        for column, position in (("possessions", 2), ("pace", 3), ("offensive_rating", 4)):
            _compare(
                result,
                f"{offense}.{column}",
                [
                    (
                        f"{g} {t}",
                        row[position],
                        getattr(recomputed[(g, t)], column, None) if (g, t) in recomputed else None,
                    )
                    for row in rows
                    for g, t in [(row[0], row[1])]
                ],
            )
    defense = "nba_analytics.team_defense_game_summary"
    if defense in tables:
        rows = con.execute(
            f"select game_id, team_abbr, defensive_rating from {defense} where game_date = $day", params
        ).fetchall()
        _compare(
            result,
            f"{defense}.defensive_rating",
            [
                (f"{g} {t}", rating, recomputed[(g, t)].defensive_rating if (g, t) in recomputed else None)
                for g, t, rating in rows
            ],
        )
    team_context = "nba_analytics.upcoming_team_game_context"
    if team_context in tables:
        rows = con.execute(
            f"select game_id, team_abbr, games_in_window, points_avg_last_10, offensive_rating_last_10, "
            f"defensive_rating_last_10 from {team_context} where game_date = $day and game_status = 'final'",
            params,
        ).fetchall()
        pairs: dict[str, list] = {
            "games_in_window": [],
            "points_avg_last_10": [],
            "offensive_rating_last_10": [],
            "defensive_rating_last_10": [],
        }
        for game_id, team, games_in_window, points10, ortg10, drtg10 in rows:
            window = recompute.team_window(games, team, day)
            label = f"{game_id} {team}"
            pairs["games_in_window"].append((label, games_in_window, window.games_in_window))
            pairs["points_avg_last_10"].append((label, points10, window.points_avg_last_10))
            pairs["offensive_rating_last_10"].append((label, ortg10, window.offensive_rating_last_10))
            pairs["defensive_rating_last_10"].append((label, drtg10, window.defensive_rating_last_10))
        for column, values in pairs.items():
            _compare(result, f"{team_context}.{column}", values)

    accuracy = "nba_predictions.prediction_accuracy"
    if accuracy in tables:
        rows = con.execute(
            f"""select a.player_id, a.system_id, a.actual_points, a.predicted_points, a.error, b.points
                from {accuracy} as a
                left join nba_raw.nbac_player_boxscore as b on b.game_id = a.game_id and b.player_id = a.player_id
                where a.game_date = $day and a.is_graded order by a.player_id, a.system_id""",
            params,
        ).fetchall()
        sample = random.Random(seed).sample(rows, min(sample_size, len(rows)))
        _compare(result, f"{accuracy}.actual_points", [(f"{p} {s}", actual, raw) for p, s, actual, _, _, raw in sample])
        _compare(
            result,
            f"{accuracy}.error",
            [
                (f"{p} {s}", error, None if predicted is None or raw is None else float(predicted) - raw)
                for p, s, _, predicted, error, raw in sample
            ],
        )
    return result


# ---------------------------------------------------------------- entry point

_CHECKERS = {
    "execution": check_execution,
    "volume": check_volume,
    "quality": check_quality,
    "dependencies": check_dependencies,
    "business": check_business,
}


def parse_levels(spec: str | None) -> list[str]:
    if not spec or spec == "all":
        return list(LEVELS)
    levels = [part.strip() for part in spec.split(",") if part.strip()]
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        raise ValueError(f"unknown validation level(s) {', '.join(unknown)}: levels are {', '.join(LEVELS)}, all")
    return levels


# the levels that read what dbt says about the date (orchestration/monitoring/dbt_checks.py)
DBT_LEVELS = ("execution", "quality")


def validate_date(
    con: Session, day: date, levels: list[str] | None = None, checks: DbtDateChecks | None = None
) -> ValidationReport:
    """The report for `day`; `checks` are dbt's tests and source freshness for it (run_date_checks, before
    this connection was opened): without them the quality level says its dbt tests did not run."""
    if "nba_raw.nbac_schedule" not in existing_tables(con):
        raise ValueError("no schedule loaded: nothing to validate (nba-pipeline load <dir>)")
    final_games = _scalar(
        con, "select count(*) from nba_raw.nbac_schedule where game_date = ? and game_status = 3", [day]
    )
    selected = levels or list(LEVELS)
    return ValidationReport(
        day,
        final_games,
        [
            _CHECKERS[level](con, day, final_games, checks)
            if level in DBT_LEVELS
            else _CHECKERS[level](con, day, final_games)
            for level in selected
        ],
    )
