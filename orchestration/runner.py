"""The one way the pipeline builds: plan, build, record, alert.

    result = run_backfill(start, end)                      # nba-pipeline backfill, heal, the demo
    run = PipelineRun(warehouse, mode, runner="dagster", run_id=...)
    outcome = run.execute_step(step, start, end)           # a Dagster multi-asset: its own step

A run
1. records itself in `pipeline_runs` before any work (`running`, its pid), so a
   killed run reads `interrupted`, never absent;
2. plans with `plan_backfill` (strict check and forward cascade) and records
   BLOCKED dates; each phase that can run, runs;
3. executes the steps of pipeline_steps.py over each stretch of runnable dates:
   a guard first (circuit breaker; in normal-mode automated runs the early exit
   for old dates and smart skip), then the build (dbt in process, see
   dbt_invoke.py, or the Python step), then one `pipeline_run_history` row per
   table and date with dbt's own status, the circuit breakers and the alerts;
4. closes its row: success, partial (some dates blocked), blocked, failed or
   nothing_to_do.
Freshness and completeness are not recorded here: the data records them as it
is written (completeness.py).
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from orchestration import test_hooks
from orchestration.backfill import BackfillPlan, StepResult, plan_backfill
from orchestration.completeness import incomplete_dates_by_phase, scheduled_game_dates
from orchestration.dates import days
from orchestration.dbt_invoke import DbtBuildResult, DbtProject, progress_line
from orchestration.gate_failures import explain_failures
from orchestration.phases import DBT_PHASES, PHASES_BY_NUMBER, Phase
from orchestration.pipeline_steps import RAW_PHASE, DbtStretch, LoadStep, PythonStep, Step, pipeline_steps
from orchestration.run_history import RunRecord, begin_run, finish_run, note_step, record_runs
from orchestration.run_modes import RunMode
from orchestration.step_history import StepRun, record_step
from orchestration.warehouse import DATED_RAW_TABLES, RAW_SCHEMA, Session, Warehouse, as_warehouse

Say = Callable[[str], None]
DbtEventSink = Callable[[dict[str, Any]], None]
_DBT_TO_HISTORY = {"success": ("success", None), "error": ("failed", None), "skipped": ("skipped", "upstream_failed")}


def resolve_step(reference: str) -> Callable[..., StepResult]:
    """`module:function` of phases.py's python_steps -> the function."""
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def import_in_background(steps: Iterable[Step]) -> None:
    """Import the Python steps' modules on a thread while the dbt stretches before them build (the
    trained model's joblib and threadpoolctl: about 0.3 s; scikit-learn itself is imported only by a run
    that trains, see ml/tree_predictor.py). The step's own import (resolve_step) waits for it, and
    raises any error it hit."""
    modules = {step.reference.partition(":")[0] for step in steps if isinstance(step, PythonStep)}
    for module in sorted(modules - set(sys.modules)):
        threading.Thread(target=_import_quietly, args=(module,), name=f"import {module}", daemon=True).start()


def _import_quietly(module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception:  # the step's own import raises it again, where it is reported
        pass


@dataclass
class StepOutcome:
    step: Step
    start: date
    end: date
    status: str  # success | failed | skipped
    message: str = ""
    skip_reason: str | None = None
    dbt: DbtBuildResult | None = None
    python: StepResult | None = None
    load: Any = None  # the loader's LoadReport
    build_seconds: float = 0.0  # the build itself (load, dbt or Python), without guard and records

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass
class BackfillResult:
    plan: BackfillPlan
    run_id: str
    steps: list[StepOutcome] = field(default_factory=list)
    duration_seconds: float = 0.0
    games_in_window: bool = True
    nearest_games: tuple[date | None, date | None] = (None, None)  # the last game before, the first after

    @property
    def failed_steps(self) -> list[StepOutcome]:
        """Failed steps that stopped the run (a load or a dbt build)."""
        return [step for step in self.steps if step.failed and not isinstance(step.step, PythonStep)]

    @property
    def degraded_steps(self) -> list[StepOutcome]:
        """Failed Python steps: a failing prediction system leaves its rows missing, the others build."""
        return [step for step in self.steps if step.failed and isinstance(step.step, PythonStep)]

    @property
    def succeeded(self) -> bool:
        return not self.failed_steps

    @property
    def blocked(self) -> bool:
        return bool(self.plan.blocked)

    @property
    def dbt_results(self) -> list[DbtBuildResult]:
        return [step.dbt for step in self.steps if step.dbt is not None]

    @property
    def status(self) -> str:
        if self.failed_steps:
            return "failed"
        if not self.games_in_window:
            return "nothing_to_do"
        if self.blocked:
            return "partial" if any(step.status == "success" for step in self.steps) else "blocked"
        return "partial" if self.degraded_steps else "success"

    def failure_summary(self) -> str:
        return "\n".join(step.message for step in self.failed_steps + self.degraded_steps)

    def summary(self) -> str:
        """The last line of a run: what happened, in the units `status` counts (game dates per phase)."""
        span = f"{self.plan.requested_start}..{self.plan.requested_end}"
        head = f"backfill {self.run_id} {span}: {self.status}"
        if self.status == "nothing_to_do":
            before, after = self.nearest_games
            near = ", ".join(
                part
                for part in (
                    f"the last game before is on {before}" if before else "",
                    f"the next on {after}" if after else "",
                )
                if part
            )
            return f"{head}: no games scheduled between {span}" + (f" ({near})" if near else " (nothing loaded)")
        parts = []
        if self.plan.cascaded:
            parts.append(f"cascaded to {self.plan.end}")
        for blocked in self.plan.blocked:
            parts.append(
                f"phase {blocked.phase} BLOCKED on {len(blocked.dates)} game date(s) "
                f"{blocked.dates[0]}..{blocked.dates[-1]}"
            )
        for step in self.failed_steps:
            parts.append(
                f"{step.step.name} FAILED for {step.start}..{step.end}: "
                f"{(step.message or '').strip().splitlines()[0][:200] if step.message else ''}"
            )
        for step in self.degraded_steps:
            parts.append(
                f"{step.step.name} failed (the other systems built): "
                f"{(step.message or '').strip().splitlines()[0][:200] if step.message else ''}"
            )
        return head + (f" ({'; '.join(parts)})" if parts else "") + f" in {self.duration_seconds:.1f}s"


class PipelineRun:
    """One run of the pipeline (a CLI command or a Dagster run), recorded as it goes."""

    def __init__(
        self,
        warehouse: Warehouse | Path | None,
        mode: RunMode,
        *,
        run_id: str | None = None,
        runner: str = "cli",
        command: str = "",
        say: Say | None = None,
        dbt: DbtProject | None = None,
        alerter=None,
        backfill_id: str | None = None,
        landing: Path | None = None,
        load_tables: list[str] | None = None,
    ):
        from orchestration.monitoring.alerts import Alerter

        self.landing = landing
        self.load_tables = load_tables
        self.warehouse = as_warehouse(warehouse)  # a DuckDB file, or BigQuery on NBA_PIPELINE_TARGET=prod
        self.mode = mode
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.runner = runner
        self.command = command
        self.say: Say = say or (lambda message: None)
        self.dbt = dbt or DbtProject.for_warehouse(self.warehouse)
        self.alerter = alerter or Alerter(warehouse=self.warehouse, source=f"{runner} run {self.run_id}")
        self.alerter.backfill_id = backfill_id if mode.backfill else None
        self.requested_end: date | None = None

    def lock(self):
        """The warehouse held for this run's writes (re-entrant: a step inside a locked run is a no-op)."""
        return self.warehouse.lock(self.command or f"{self.runner} run {self.run_id}", say=self.say)

    def connect(self) -> Session:
        """A writing session, for code holding `lock()`."""
        return self.warehouse.session(say=self.say)

    # -- the run's own record -------------------------------------------------------------

    def begin(self, start: date | None, end: date | None) -> None:
        self.requested_end = end
        with self.connect() as con:
            begin_run(con, self.run_id, self.runner, self.command, self.mode.trigger, self.mode.backfill, start, end)

    def finish(self, status: str, message: str | None = None) -> None:
        with self.connect() as con:
            finish_run(con, self.run_id, status, message)

    # -- planning -------------------------------------------------------------------------

    def plan(self, start: date, end: date, phases: list[Phase]) -> BackfillPlan:
        with self.connect() as con:
            return plan_backfill(
                con,
                start,
                end,
                phases,
                cascade=self.mode.cascade,
                strict=self.mode.strict,
                landing=self.landing,
                warehouse=self.warehouse,
            )

    def record_blocked(
        self,
        plan: BackfillPlan,
        tables: dict[int, list[str]] | None = None,
        skip_others: tuple[date, date] | None = None,
        severity: str = "critical",
    ) -> None:
        """`blocked` rows for every blocked date (per table of the phase when given, else per phase),
        an alert per blocked phase; with `skip_others`, the other dates of that window are `skipped`
        (`run_blocked`): a Dagster step fails as a whole when a date of its own range is blocked."""
        if not plan.blocked:
            return
        now = datetime.now()
        records = []
        blocked_days = {(blocked.phase, day): blocked for blocked in plan.blocked for day in blocked.dates}
        for phase in plan.phases:
            for asset in (tables or {}).get(phase.number) or [phase.name]:
                span = days(*skip_others) if skip_others else sorted(d for p, d in blocked_days if p == phase.number)
                for day in span:
                    blocked = next((b for (p, d), b in blocked_days.items() if d == day and p <= phase.number), None)
                    if blocked is not None:
                        records.append(
                            RunRecord(
                                self.run_id,
                                asset,
                                phase.number,
                                day,
                                "blocked",
                                None,
                                None,
                                now,
                                now,
                                0.0,
                                self.mode.backfill,
                                self.mode.trigger,
                                blocked.message(),
                            )
                        )
                    elif skip_others:
                        records.append(
                            RunRecord(
                                self.run_id,
                                asset,
                                phase.number,
                                day,
                                "skipped",
                                "run_blocked",
                                None,
                                now,
                                now,
                                0.0,
                                self.mode.backfill,
                                self.mode.trigger,
                                "another date of the run is BLOCKED",
                            )
                        )
        with self.connect() as con:
            record_runs(con, records)
        for blocked in plan.blocked:
            self.alerter.alert(
                "phase_blocked",
                blocked.message(),
                severity=severity,
                run_id=self.run_id,
                start_date=blocked.dates[0],
                end_date=blocked.dates[-1],
            )

    # -- one step -------------------------------------------------------------------------

    def execute_step(
        self,
        step: Step,
        start: date,
        end: date,
        on_dbt_event: DbtEventSink | None = None,
        tables: dict[int, list[str]] | None = None,
    ) -> StepOutcome:
        """Guard, build, record, alert: one step over [start, end]. `tables`: per phase, the tables
        (schema.table) the step writes, for run history (default: each dbt model it ran)."""
        started = datetime.now()
        with self.connect() as con:
            note_step(con, self.run_id, step.name, finished=False)
            skip = self._guard(con, step, start, end)
            if skip is not None:
                reason, message = skip
                self._record(con, step, start, end, started, tables, "skipped", reason, message, None)
                note_step(con, self.run_id, step.name, finished=True)
                self.say(f"{step.name} {start}..{end}: skipped ({reason}): {message}")
                return StepOutcome(step, start, end, "skipped", message, reason)
            has_games = bool(scheduled_game_dates(con, start, end))
        building = time.monotonic()
        if isinstance(step, LoadStep):
            outcome = self._load(step, start, end)
        elif not has_games:
            outcome = StepOutcome(step, start, end, "success", "no games in the window: nothing to build", "no_games")
        elif isinstance(step, DbtStretch):
            outcome = self._build(step, start, end, on_dbt_event)
        else:
            outcome = self._python_step(step, start, end)
        outcome.build_seconds = time.monotonic() - building
        with self.connect() as con:
            self._record(
                con,
                step,
                start,
                end,
                started,
                tables,
                outcome.status,
                outcome.skip_reason,
                outcome.message or None,
                outcome.dbt,
            )
            self._feed_breakers(con, step, outcome)
            note_step(con, self.run_id, step.name, finished=True)
        if outcome.failed:
            category = {DbtStretch: "dbt_failure", LoadStep: "landing_error"}.get(type(step), "step_failed")
            self.alerter.alert(
                category,
                f"{step.name} failed for {start}..{end}: {outcome.message}"[:4000],
                run_id=self.run_id,
                start_date=start,
                end_date=end,
            )
        test_hooks.fire(f"after:{step.name}", self.warehouse)
        return outcome

    def _build(self, step: DbtStretch, start: date, end: date, on_dbt_event: DbtEventSink | None) -> StepOutcome:
        seen = {"dated_model_written": False, "tests_started": False}

        def handle(event: dict[str, Any]) -> None:
            if on_dbt_event is not None:
                on_dbt_event(event)
            line = progress_line(event)
            if line:
                self.say(f"  dbt: {line}")
            name, node = event.get("info", {}).get("name"), event.get("data", {}).get("node_info", {})
            if name == "LogModelResult" and node.get("materialized") == "incremental":
                seen["dated_model_written"] = True
            elif (
                name == "NodeStart"
                and node.get("resource_type") == "test"
                and seen["dated_model_written"]
                and not seen["tests_started"]
            ):
                seen["tests_started"] = True  # a model's rows are written, its gates not yet passed
                test_hooks.fire(f"tests:{step.name}", self.warehouse)

        self.say(f"dbt build {' '.join(step.selectors)} for {start}..{end}")
        self.connect().close()  # waits while a process outside nba-pipeline (a plain dbt build) holds the file
        if not self.dbt.is_parsed():
            self.say("dbt: importing dbt and parsing the project (once per process)")
        result = self.dbt.build(step.selectors, start, end, on_event=handle)
        if result.succeeded:
            return StepOutcome(step, start, end, "success", dbt=result)
        summary = result.failure_summary()
        with self.connect() as con:
            explained = explain_failures(con, result)
        if explained:
            summary += "\n" + "\n".join(explained)
        self.say(f"dbt build failed for {start}..{end}:\n{summary}")
        return StepOutcome(step, start, end, "failed", summary, dbt=result)

    def _load(self, step: LoadStep, start: date, end: date) -> StepOutcome:
        from orchestration.loading import LandingFileError

        if self.landing is None:
            self.landing = self._recorded_landing()
        if self.landing is None:
            return StepOutcome(
                step,
                start,
                end,
                "failed",
                f"no landing folder: none given and none recorded for {self.warehouse.describe()} "
                "(nba-pipeline load DIR first)",
            )
        try:
            report = self.warehouse.load(self.landing, start, end, tables=self.load_tables, progress=self.say)
        except (LandingFileError, ValueError) as error:
            return StepOutcome(step, start, end, "failed", f"landing folder {self.landing}: {error}")
        self.say(report.summary())
        return StepOutcome(step, start, end, "success", load=report)

    def _recorded_landing(self) -> Path | None:
        """The landing this warehouse was loaded from (the dataset's own: never a default folder)."""
        from orchestration.loading import recorded_landing

        with self.connect() as con:
            return recorded_landing(con)

    def _python_step(self, step: PythonStep, start: date, end: date) -> StepOutcome:
        self.say(f"step {step.name}: {step.reference} for {start}..{end}")
        with self.connect() as db:
            try:
                result = resolve_step(step.reference)(db, start, end)
            except Exception as error:  # a failing system must not stop the others
                result = StepResult(step.reference, "failed", 0, f"{type(error).__name__}: {error}")
        self.say(f"step {step.name}: {result.status} {result.message}")
        # a step with nothing to do (no earlier season to train on) succeeded: its message says so
        status = "failed" if result.status == "failed" else "success"
        return StepOutcome(step, start, end, status, result.message, python=result)

    # -- guard, records, breakers ------------------------------------------------------------

    def _guard(self, con, step: Step, start: date, end: date) -> tuple[str, str] | None:
        """(skip_reason, message) when the step must not run now, else None."""
        from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key

        for number in step.phase_numbers:
            decision = CircuitBreaker(
                con, processor_key(number), backfill_mode=self.mode.backfill, alerter=self.alerter
            ).check()
            if not decision.allowed:
                return decision.skip_reason, decision.message
        if self.mode.skips_as_historical(end):
            return (
                "historical_date",
                f"normal mode: dates older than {self.mode.recent_days} days are left to backfills",
            )
        if self.mode.smart_skip and not isinstance(step, LoadStep):  # new files may have landed
            phases = tuple(PHASES_BY_NUMBER[n] for n in step.phase_numbers)
            incomplete = incomplete_dates_by_phase(con, phases, start, end)
            if not any(incomplete.values()):
                return "unchanged_inputs", "every date is complete, fresh and verified: inputs unchanged since built"
        return None

    def _record(
        self,
        con,
        step: Step,
        start: date,
        end: date,
        started: datetime,
        tables: dict[int, list[str]] | None,
        status: str,
        skip_reason: str | None,
        message: str | None,
        build: DbtBuildResult | None,
    ) -> None:
        finished = datetime.now()
        duration = (finished - started).total_seconds()
        game_dates = scheduled_game_dates(con, start, end)
        ran = {node.relation: node for node in (build.nodes if build else []) if node.relation}
        if isinstance(step, LoadStep) and not tables:
            tables = {RAW_PHASE: [f"{RAW_SCHEMA}.{table}" for table in (self.load_tables or DATED_RAW_TABLES)]}
        records = []
        built_versions: dict[tuple[str, int], dict[date, tuple[str | None, str | None]]] = {}
        # the step's phases, and those of what it wrote besides (the Phase 2 staging views of the first stretch)
        numbers = sorted(set(step.phase_numbers) | set(tables or {}) | {n.phase for n in ran.values() if n.phase})
        for number in numbers:
            assets = (
                (tables or {}).get(number) or [n.relation for n in ran.values() if n.phase == number] or [step.name]
            )
            for asset in assets:
                asset_status, asset_reason = status, skip_reason
                if asset in ran:
                    asset_status, dbt_reason = _DBT_TO_HISTORY.get(ran[asset].status, ("skipped", "not_run"))
                    asset_reason = asset_reason or dbt_reason
                written = _rows_by_date(con, asset, start, end) if asset_status == "success" else {}
                if build is not None and any(rows.input_version is not None for rows in written.values()):
                    built_versions[(asset, number)] = {
                        day: (rows.input_version, rows.build_id) for day, rows in written.items()
                    }
                for day in days(start, end):
                    reason = asset_reason
                    if asset_status == "success" and reason is None and day not in game_dates:
                        reason = "no_games"
                    note = message
                    if self.requested_end is not None and day > self.requested_end:
                        note = f"forward cascade past {self.requested_end}" + (f"; {message}" if message else "")
                    records.append(
                        RunRecord(
                            self.run_id,
                            asset,
                            number,
                            day,
                            asset_status,
                            reason,
                            (written[day].rows if day in written else 0) if asset_status == "success" else None,
                            started,
                            finished,
                            duration,
                            self.mode.backfill,
                            self.mode.trigger,
                            note,
                        )
                    )
        record_runs(con, records)
        record_step(
            con,
            StepRun(
                self.run_id,
                step.name,
                list(step.phase_numbers),
                start,
                end,
                len(game_dates),
                status,
                skip_reason,
                started,
                duration,
            ),
            build,
            built_versions,
        )

    def _feed_breakers(self, con, step: Step, outcome: StepOutcome) -> None:
        from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key, record_step_results

        if outcome.status == "skipped":
            return
        failed_phases = {node.phase for node in (outcome.dbt.failed_nodes if outcome.dbt else []) if node.phase}
        for number in step.phase_numbers:
            breaker = CircuitBreaker(con, processor_key(number), backfill_mode=self.mode.backfill, alerter=self.alerter)
            if outcome.failed and (number in failed_phases or not failed_phases):
                breaker.record_failure(outcome.message[:500])
            elif not outcome.failed:
                breaker.record_success()
        if outcome.python is not None:
            record_step_results(con, [outcome.python], self.mode.backfill, alerter=self.alerter)


@dataclass(frozen=True)
class _DateRows:
    rows: int
    input_version: str | None = None  # None: the table records no input versions (sources, raw tables)
    build_id: str | None = None


def _nearest_games(con, start: date, end: date) -> tuple[date | None, date | None]:
    """The last scheduled game date before `start` and the first after `end` (None: none loaded)."""
    from orchestration.completeness import existing_tables

    if "nba_raw.nbac_schedule" not in existing_tables(con):
        return None, None
    return con.execute(
        "select (select max(game_date) from nba_raw.nbac_schedule where game_date < ?), "
        "(select min(game_date) from nba_raw.nbac_schedule where game_date > ?)",
        [start, end],
    ).fetchone()


def _rows_by_date(con: Session, relation: str, start: date, end: date) -> dict[date, _DateRows]:
    """Rows a dated table holds per date after the step (what the step wrote for it), with the input
    version and build its rows record; {} for tables without game_date."""
    if "." not in relation:
        return {}
    columns = set(con.columns(relation))
    if "game_date" not in columns:
        return {}
    versioned = {"input_version", "build_id"} <= columns
    versions = ", cast(min(input_version) as varchar), min(build_id)" if versioned else ""
    rows = con.execute(
        f"select game_date, count(*){versions} from {relation} where game_date between ? and ? group by 1", [start, end]
    ).fetchall()
    return {row[0]: _DateRows(*row[1:]) if versioned else _DateRows(row[1]) for row in rows}


def run_backfill(
    start: date,
    end: date,
    phases: list[Phase] | None = None,
    cascade: bool = True,
    strict: bool = True,
    warehouse: Warehouse | Path | None = None,
    trigger: str = "manual",
    is_backfill: bool = True,
    run_id: str | None = None,
    progress: Say | None = None,
    command: str = "nba-pipeline backfill",
    dbt: DbtProject | None = None,
    landing: Path | None = None,
) -> BackfillResult:
    """Load (when Phase 2 is selected), plan, then build every runnable stretch of dates step by
    step; one record of it all. `phases` means exactly those phases (default: every dbt phase)."""
    say = progress or (lambda message: None)
    selected = phases or list(DBT_PHASES)
    built = [phase for phase in selected if phase.number != RAW_PHASE]
    mode = RunMode(backfill=is_backfill, strict=strict, cascade=cascade, trigger=trigger)
    run = PipelineRun(warehouse, mode, run_id=run_id, command=command, say=say, dbt=dbt, landing=landing)
    began = time.monotonic()
    with run.lock():
        return _run_backfill(run, start, end, selected, built, began)


class _StepCounter:
    """`step 2 of 6: trained_model 2022-04-16..2022-04-25 (41s elapsed, about 1m10s left)`: the left part
    from the duration fitted on this warehouse's history (estimates.py), when there is one."""

    def __init__(self, run: PipelineRun, plan: BackfillPlan, began: float):
        from orchestration.estimates import estimate_duration, stretch_work

        self.run, self.began, self.done = run, began, 0
        stretches = [(s, e, tuple(p.number for p in phases)) for s, e, phases in plan.segments()]
        self.total = sum(len(pipeline_steps(phases)) for _, _, phases in plan.segments())
        with run.connect() as con:
            self.estimate = estimate_duration(con, stretch_work(con, stretches)) if self.total else None

    def next(self, step: Step, start: date, end: date) -> None:
        from orchestration.estimates import format_seconds

        self.done += 1
        elapsed = time.monotonic() - self.began
        timing = f"{format_seconds(elapsed)} elapsed"
        if self.estimate is not None and self.estimate.has_history and not self.estimate.phases_without_history:
            timing += f", about {format_seconds(max(self.estimate.total_seconds - elapsed, 0.0))} left"
        self.run.say(f"step {self.done} of {self.total}: {step.name} {start}..{end} ({timing})")


def _run_backfill(
    run: PipelineRun, start: date, end: date, selected: list[Phase], built: list[Phase], began: float
) -> BackfillResult:
    say, mode = run.say, run.mode
    run.begin(start, end)
    try:
        with run.alerter.backfill(run.run_id) if mode.backfill else nullcontext(run.alerter):
            loads = []
            if len(built) < len(selected):
                loads.append(run.execute_step(LoadStep(PHASES_BY_NUMBER[RAW_PHASE]), start, end))
            plan = (
                run.plan(start, end, built)
                if built and not any(o.failed for o in loads)
                else BackfillPlan(start, end, end, built)
            )
            result = BackfillResult(plan, run.run_id, steps=loads)
            say(plan.describe())
            run.record_blocked(plan)
            with run.connect() as con:
                result.games_in_window = bool(scheduled_game_dates(con, start, plan.end))
                if not result.games_in_window:
                    result.nearest_games = _nearest_games(con, start, plan.end)
            counter = _StepCounter(run, plan, began)
            # a window without games still runs its steps: each records its dates as empty successes
            # (no dbt, no model); only a warehouse with nothing loaded has nothing to record
            segments = plan.segments() if result.games_in_window or any(result.nearest_games) else []
            import_in_background(step for _, _, phases in segments for step in pipeline_steps(phases))
            for segment_start, segment_end, segment_phases in segments:
                for step in pipeline_steps(segment_phases):
                    counter.next(step, segment_start, segment_end)
                    outcome = run.execute_step(step, segment_start, segment_end)
                    result.steps.append(outcome)
                    if outcome in result.failed_steps:
                        break
                if result.failed_steps:
                    break
        result.duration_seconds = time.monotonic() - began
        run.finish(result.status, result.failure_summary() or "\n".join(plan.blocked_messages()) or None)
    except BaseException as error:
        run.finish("failed", f"{type(error).__name__}: {error}")
        raise
    return result
