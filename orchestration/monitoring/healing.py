"""Self-healing: launch runs for exactly the partitions the gap scanner found.

    report = heal(max_age_days=30)        # what `nba-pipeline heal` does

- Gaps younger than `max_age_days` (age = days from the game date to `today`)
  are healed; older ones raise one alert per phase pair (once per gap) instead.
- Phase pairs are healed in pipeline order (schedule->2 first), rescanning in
  between, because one run heals everything downstream of it (see
  `HealPlan.next_runs` for how a run folds in the later pairs' gaps).
- Gap dates group into contiguous ranges (contiguous over the season's game
  dates, so an off day does not split a range). Each run goes through
  `run_backfill`, which extends it forward over the later dates of the season
  already built (the forward cascade) and applies strict mode; since the
  cascade joins the ranges of one season, they are one run (`next_runs`).
  A schedule->2 gap reloads its dates from the landing folder first.
- Each run goes through the circuit breaker of the processor it starts with;
  an open circuit skips the range (run history: skipped, `circuit_open`).
- A gap still open after its run is marked `failed`; a BLOCKED run raises a
  critical alert; a healed gap is closed `complete` by the final rescan.

`plan_healing` is the same decision without running anything; the Dagster
sensor (`orchestration.dagster.monitoring_assets`) turns its first pair's
ranges into run requests instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from orchestration.backfill import warehouse_prefix
from orchestration.dates import format_date_ranges
from orchestration.monitoring.alerts import Alerter
from orchestration.monitoring.circuit_breaker import CircuitBreaker, processor_key
from orchestration.monitoring.gaps import (
    SCHEDULE_PHASE,
    GapRecord,
    PhasePair,
    current_gaps,
    mark_alerted,
    phase_pairs,
    scan_gaps,
    set_gap_status,
)
from orchestration.phases import PHASES, PHASES_BY_NUMBER, Phase
from orchestration.run_history import RunRecord, record_runs
from orchestration.run_modes import HEAL_TAG, MODE_TAG, range_tags
from orchestration.runner import BackfillResult, run_backfill
from orchestration.warehouse import Session, Warehouse, as_warehouse

DEFAULT_MAX_AGE_DAYS = 30
SENSOR_LOCK_WAIT_SECONDS = 5.0
Progress = Callable[[str], None]


@dataclass
class HealRange:
    pair: PhasePair
    season_year: int | None
    start: date
    end: date
    gaps: list[GapRecord]

    @property
    def dates(self) -> list[date]:
        return sorted({gap.game_date for gap in self.gaps})

    @property
    def phases(self) -> list[Phase]:
        """What the run builds: the downstream phase and every later one (a load is not a dbt phase)."""
        return [p for p in PHASES if p.number >= self.pair.downstream and (p.dbt_selector or p.python_steps)]

    def describe(self) -> str:
        span = str(self.start) if self.start == self.end else f"{self.start}..{self.end}"
        others = sorted({g.pair for g in self.gaps} - {self.pair.label})
        folded = f", with the {', '.join(others)} gaps in it" if others else ""
        return f"{self.pair.label} {span} ({len(self.dates)} gap date(s){folded})"


@dataclass
class HealPlan:
    ranges: list[HealRange]  # every healable range, per pair in phase order
    too_old: list[GapRecord]
    waiting: list[GapRecord]  # triggered earlier, their run not finished

    def next_runs(self) -> list[HealRange]:
        """The runs to start now: for the first phase pair (in phase order) with healable gaps,
        one run per season.

        A run of pair k builds phase k and every later phase from its start date to the
        end of what the season has built (the forward cascade), so the contiguous ranges
        of one season are joined by the cascade into one stretch: one run covers them
        (one dbt build per dbt stretch instead of one per range). The later pairs' gaps
        of that season are folded in: the run starts at the earliest of them when that
        is earlier (otherwise strict mode would BLOCK the run on that older hole) and
        reaches the latest. Another season, or a pair whose season has no gap of pair k,
        waits for the next round (after a rescan).
        """
        if not self.ranges:
            return []
        first = self.ranges[0].pair
        runs: list[HealRange] = []
        by_season: dict = {}
        for r in self.ranges:
            if r.pair != first:
                continue
            if r.season_year is None:  # not a final game date any more: on its own
                runs.append(HealRange(r.pair, None, r.start, r.end, list(r.gaps)))
                continue
            if r.season_year in by_season:
                run = by_season[r.season_year]
                run.start, run.end = min(run.start, r.start), max(run.end, r.end)
                run.gaps.extend(r.gaps)
            else:
                by_season[r.season_year] = HealRange(r.pair, r.season_year, r.start, r.end, list(r.gaps))
                runs.append(by_season[r.season_year])
        for season, run in by_season.items():
            later = [g for r in self.ranges if r.pair != first and r.season_year == season for g in r.gaps]
            if later:
                run.start = min(run.start, min(g.game_date for g in later))
                run.end = max(run.end, max(g.game_date for g in later))
                run.gaps.extend(later)
        return sorted(runs, key=lambda r: r.start)


@dataclass
class HealRun:
    range: HealRange
    run_id: str
    status: str  # success | failed | blocked | skipped
    message: str = ""
    cascaded_end: date | None = None
    duration_seconds: float = 0.0

    def describe(self) -> str:
        cascade = (
            f" (cascade to {self.cascaded_end})" if self.cascaded_end and self.cascaded_end > self.range.end else ""
        )
        phases = ",".join(str(p.number) for p in self.range.phases)
        load = "load + " if self.range.pair.upstream == SCHEDULE_PHASE else ""
        return (
            f"{self.range.describe()}{cascade}: {load}phases {phases}: {self.status}"
            f" in {self.duration_seconds:.1f}s" + (f" - {self.message}" if self.message else "")
        )


@dataclass
class HealReport:
    runs: list[HealRun] = field(default_factory=list)
    too_old: list[GapRecord] = field(default_factory=list)
    alerted_old: int = 0
    healed: int = 0
    remaining: list[GapRecord] = field(default_factory=list)
    failed: list[GapRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(run.status in {"success", "skipped"} for run in self.runs) and not self.failed

    def summary(self) -> str:
        if not self.runs and not self.too_old and not self.remaining:
            return "heal: no gaps: nothing to do"
        lines = [
            f"heal: {len(self.runs)} run(s), {self.healed} gap(s) healed, {len(self.remaining)} still open"
            + (f" ({len(self.failed)} failed)" if self.failed else "")
        ]
        lines.extend(f"  run {index}: {run.describe()}" for index, run in enumerate(self.runs, 1))
        if self.too_old:
            pairs = sorted({gap.pair for gap in self.too_old})
            lines.append(
                f"  {len(self.too_old)} gap(s) older than the age limit, not healed ({', '.join(pairs)})"
                + (f"; {self.alerted_old} newly alerted" if self.alerted_old else "; already alerted")
            )
        return "\n".join(lines)


# ---------------------------------------------------------------- planning


def season_game_dates(con: Session) -> dict[int, list[date]]:
    from orchestration.completeness import existing_tables

    if "nba_raw.nbac_schedule" not in existing_tables(con):
        return {}
    rows = con.execute(
        "select season_year, game_date from nba_raw.nbac_schedule where game_status = 3 group by all order by 1, 2"
    ).fetchall()
    result: dict[int, list[date]] = {}
    for season, day in rows:
        result.setdefault(season, []).append(day)
    return result


def group_ranges(
    gaps: list[GapRecord], game_dates: dict[int, list[date]]
) -> list[tuple[int | None, date, date, list[GapRecord]]]:
    """Contiguous runs of gap dates over each season's game dates: (season, start, end, gaps)."""
    position: dict[date, tuple[int, int]] = {}
    for season, dates in game_dates.items():
        for index, day in enumerate(dates):
            position[day] = (season, index)
    groups: list[tuple[int | None, date, date, list[GapRecord]]] = []
    last_key: tuple[int, int] | None = None
    for gap in sorted(gaps, key=lambda g: g.game_date):
        key = position.get(gap.game_date)
        if key is None:  # not a final game date any more: its own range (calendar contiguity)
            groups.append((None, gap.game_date, gap.game_date, [gap]))
            last_key = None
            continue
        if groups and last_key is not None and key[0] == last_key[0] and key[1] - last_key[1] <= 1:
            season, start, _, members = groups[-1]
            groups[-1] = (season, start, gap.game_date, members + [gap])
        else:
            groups.append((key[0], gap.game_date, gap.game_date, [gap]))
        last_key = key
    return groups


def plan_healing(
    con: Session,
    open_gaps: list[GapRecord],
    today: date | None = None,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> HealPlan:
    """Which open gaps get a run (grouped into ranges, in phase order), which are too old, which wait."""
    today = today or date.today()
    game_dates = season_game_dates(con)
    # dates after `today` (only possible with an explicit `today` in the past) are not due yet
    due = [g for g in open_gaps if g.game_date <= today]
    too_old = [g for g in due if (today - g.game_date).days > max_age_days]
    waiting = [g for g in due if g.healing_status == "triggered" and g not in too_old]
    healable = [g for g in due if g not in too_old and g.healing_status in {"pending", "failed"}]
    ranges = []
    for pair in phase_pairs():
        members = [g for g in healable if (g.phase_from, g.phase_to) == (pair.upstream, pair.downstream)]
        for season, start, end, gaps in group_ranges(members, game_dates):
            ranges.append(HealRange(pair, season, start, end, gaps))
    return HealPlan(ranges, too_old, waiting)


def alert_old_gaps(con: Session, too_old: list[GapRecord], alerter: Alerter, max_age_days: int) -> int:
    """One alert per phase pair for old gaps not alerted yet; returns how many gaps it covered."""
    fresh = [g for g in too_old if g.alerted_at is None]
    by_pair: dict[str, list[GapRecord]] = {}
    for gap in fresh:
        by_pair.setdefault(gap.pair, []).append(gap)
    for pair, gaps in by_pair.items():
        shown = format_date_ranges([g.game_date for g in gaps], limit=6)
        oldest = max(g.gap_age_days for g in gaps)
        alerter.alert(
            "gap_too_old",
            f"{len(gaps)} gap date(s) {pair} older than {max_age_days} days are not healed automatically: {shown}. "
            f"Heal them with: {warehouse_prefix(alerter.warehouse)}nba-pipeline heal --max-age-days {oldest}",
            severity="warning",
            source="healer",
            context={"pair": pair, "dates": [g.game_date.isoformat() for g in gaps], "oldest_days": oldest},
            start_date=min(g.game_date for g in gaps),
            end_date=max(g.game_date for g in gaps),
        )
    mark_alerted(con, [g.gap_id for g in fresh])
    return len(fresh)


# ---------------------------------------------------------------- running


def heal(
    warehouse: Warehouse | Path | None = None,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    today: date | None = None,
    landing: Path | None = None,
    trigger: str = "manual",
    alerter: Alerter | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = datetime.now,
    dry_run: bool = False,
) -> HealReport:
    """Scan, alert on old gaps, heal young ones pair by pair in phase order, rescan. A dry run
    reads the warehouse only and records nothing. `warehouse`: default the current one (the DuckDB
    file, or BigQuery on NBA_PIPELINE_TARGET=prod)."""
    say = progress or (lambda message: None)
    today = today or date.today()
    warehouse = as_warehouse(warehouse)
    if dry_run:
        with warehouse.reading(say=say) as con:
            scan = current_gaps(con, today)
            plan = plan_healing(con, scan.open_gaps, today, max_age_days)
        say(f"scan: {len(scan.open_gaps)} open gap(s), {len(plan.too_old)} older than {max_age_days} days")
        return HealReport(
            runs=[HealRun(r, "", "planned") for r in plan.next_runs()], too_old=plan.too_old, remaining=scan.open_gaps
        )
    with warehouse.lock("nba-pipeline heal", say=say):
        return _heal(warehouse, max_age_days, today, landing, trigger, alerter, say, clock)


def _heal(
    warehouse: Warehouse,
    max_age_days: int,
    today: date,
    landing: Path | None,
    trigger: str,
    alerter: Alerter | None,
    say: Progress,
    clock: Callable[[], datetime],
) -> HealReport:
    alerter = alerter or Alerter(warehouse=warehouse, source="healer")
    report = HealReport()
    attempted: set[str] = set()
    covered: list[tuple[date, date, int]] = []  # (start, cascaded end, first phase) of runs done

    with _connect(warehouse) as con:
        scan = scan_gaps(con, today)
        plan = plan_healing(con, scan.open_gaps, today, max_age_days)
        open_before = {g.gap_id for g in scan.open_gaps}
        report.too_old = plan.too_old
        report.alerted_old = alert_old_gaps(con, plan.too_old, alerter, max_age_days)
    say(f"scan: {len(scan.open_gaps)} open gap(s), {len(plan.too_old)} older than {max_age_days} days")

    held_back: set[str] = set()  # skipped (open circuit): left pending, not failed
    runs = plan.next_runs()  # the first pass: the scan above, nothing attempted yet
    passes = 0
    while runs:
        passes += 1
        say(f"heal pass {passes}: {len(runs)} range(s) to run")
        for heal_range in runs:
            if any(g.gap_id in attempted for g in heal_range.gaps) or _covered(heal_range, covered):
                # a run of this heal already covered these dates and they are still gaps:
                # running again would not fix them; they end up `failed`
                attempted.update(g.gap_id for g in heal_range.gaps)
                continue
            run = _heal_range(heal_range, warehouse, landing, trigger, alerter, say, clock)
            report.runs.append(run)
            (held_back if run.status == "skipped" else attempted).update(g.gap_id for g in heal_range.gaps)
            if run.status == "success":
                covered.append((heal_range.start, run.cascaded_end or heal_range.end, heal_range.pair.downstream))
        with _connect(warehouse) as con:  # what the runs left: the next pass
            scan = scan_gaps(con, today)
            fresh = [g for g in scan.open_gaps if g.gap_id not in attempted | held_back]
            runs = plan_healing(con, fresh, today, max_age_days).next_runs()

    with _connect(warehouse) as con:
        final = scan_gaps(con, today)
        still_open = {g.gap_id for g in final.open_gaps}
        failed = [g for g in final.open_gaps if g.gap_id in attempted]
        set_gap_status(con, [g.gap_id for g in failed if g.healing_status != "failed"], "failed")
        report.remaining = final.open_gaps
        report.failed = failed
    report.healed = len(open_before - still_open)
    say(report.summary())
    return report


def _recorded_landing(warehouse: Warehouse) -> Path | None:
    """The landing this warehouse was loaded from: a heal never loads another dataset's default folder."""
    from orchestration.loading import recorded_landing

    with _connect(warehouse) as con:
        return recorded_landing(con)


def _connect(warehouse: Warehouse) -> Session:
    """A writing session, for code holding the warehouse's lock."""
    return warehouse.session()


def _covered(heal_range: HealRange, covered: list[tuple[date, date, int]]) -> bool:
    return any(
        start <= heal_range.start and heal_range.end <= end and first <= heal_range.pair.downstream
        for start, end, first in covered
    )


def _heal_range(
    heal_range: HealRange,
    warehouse: Warehouse,
    landing: Path | None,
    trigger: str,
    alerter: Alerter,
    say: Progress,
    clock: Callable[[], datetime],
) -> HealRun:
    run_id = f"heal-{uuid.uuid4().hex[:10]}"
    started = datetime.now()
    gap_ids = [g.gap_id for g in heal_range.gaps]
    key = processor_key(heal_range.pair.downstream)
    with _connect(warehouse) as con:
        breaker = CircuitBreaker(con, key, backfill_mode=False, clock=clock, alerter=alerter)
        decision = breaker.check()
        if not decision.allowed:
            _record_circuit_skip(con, heal_range, run_id, trigger, decision.message)
            say(f"skip {heal_range.describe()}: {decision.message}")
            return HealRun(heal_range, run_id, "skipped", decision.message)
        set_gap_status(con, gap_ids, "triggered", run_id)
    say(f"heal {heal_range.describe()}: run {run_id}")

    message = ""
    ok = True
    result: BackfillResult | None = None
    phases = list(heal_range.phases)
    folder = None
    if heal_range.pair.upstream == SCHEDULE_PHASE:
        # the landing files are reloaded for the range: the loader rewrites only dates whose content changed
        folder = landing or _recorded_landing(warehouse)
        if folder is not None and folder.is_dir():
            phases = [PHASES_BY_NUMBER[SCHEDULE_PHASE + 1], *phases]
        else:
            where = f"the recorded landing {folder} is gone" if folder else "no landing is recorded for this warehouse"
            ok, message = False, f"{where}: cannot reload Phase 2 (nba-pipeline heal --landing DIR)"
    if ok and phases:
        result = run_backfill(
            heal_range.start,
            heal_range.end,
            phases,
            warehouse=warehouse,
            trigger=trigger,
            is_backfill=False,
            run_id=run_id,
            progress=say,
            command=f"nba-pipeline heal ({heal_range.describe()})",
            landing=folder,
        )
        if result.blocked:
            ok = False
            message = "; ".join(b.message() for b in result.plan.blocked)
        elif not result.succeeded:
            ok = False
            message = result.failure_summary()[:1500]
    status = "success" if ok else ("blocked" if result is not None and result.blocked else "failed")

    with _connect(warehouse) as con:
        breaker = CircuitBreaker(con, key, backfill_mode=False, clock=clock, alerter=alerter)
        if ok:
            breaker.record_success()
        else:
            breaker.record_failure(message)
            set_gap_status(con, gap_ids, "failed", run_id, f"heal run {run_id} {status}: {message[:500]}")
    if status == "blocked":
        alerter.alert(
            "phase_blocked",
            f"healing {heal_range.describe()} was BLOCKED: {message}",
            severity="critical",
            source="healer",
            run_id=run_id,
            start_date=heal_range.start,
            end_date=heal_range.end,
        )
    elif status == "failed":
        alerter.alert(
            "heal_failed",
            f"healing {heal_range.describe()} failed: {message}",
            severity="error",
            source="healer",
            run_id=run_id,
            start_date=heal_range.start,
            end_date=heal_range.end,
        )
    return HealRun(
        heal_range,
        run_id,
        status,
        message if not ok else "",
        result.plan.end if result is not None else heal_range.end,
        (datetime.now() - started).total_seconds(),
    )


def _record_circuit_skip(con, heal_range: HealRange, run_id: str, trigger: str, message: str) -> None:
    now = datetime.now()
    phase = heal_range.phases[0] if heal_range.phases else None
    number = phase.number if phase else heal_range.pair.downstream
    name = phase.name if phase else "raw"
    record_runs(
        con,
        [
            RunRecord(run_id, name, number, day, "skipped", "circuit_open", 0, now, now, 0.0, False, trigger, message)
            for day in heal_range.dates
        ],
    )


# ---------------------------------------------------------------- requests for a scheduler (the Dagster sensor)


@dataclass
class HealRequest:
    pair: str
    start: date
    end: date  # after the forward cascade
    phases: list[int]  # phases the run must materialize (2 = the raw load from landing)
    gap_ids: list[str]
    run_key: str
    tags: dict = field(default_factory=dict)


def healing_requests(
    warehouse: Warehouse | Path | None = None,
    today: date | None = None,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    retrigger_after_minutes: int = 120,
    now: datetime | None = None,
    alerter: Alerter | None = None,
) -> tuple[list[HealRequest], str]:
    """One sensor tick without Dagster: scan, alert old gaps, decide the next runs, mark their gaps triggered.

    Returns (requests, why-nothing). Only the first phase pair with healable gaps gets runs
    (a later tick heals what is left, after those runs changed the data). A gap triggered
    more than `retrigger_after_minutes` ago and still open counts as a failed heal (fed to the
    processor's circuit breaker) and becomes healable again; an OPEN circuit holds its pair back.
    """
    from orchestration.backfill import plan_backfill

    today = today or date.today()
    now = now or datetime.now()
    warehouse = as_warehouse(warehouse)
    alerter = alerter or Alerter(warehouse=warehouse, source="gap_healing_sensor")
    # a sensor tick must not wait behind a long build: a busy warehouse is the next tick's
    with warehouse.writing("gap_healing_sensor", timeout=SENSOR_LOCK_WAIT_SECONDS) as con:
        scan = scan_gaps(con, today, now)
        overdue = [
            g
            for g in scan.open_gaps
            if g.healing_status == "triggered"
            and g.triggered_at is not None
            and now - g.triggered_at > timedelta(minutes=retrigger_after_minutes)
        ]
        for phase_to in sorted({g.phase_to for g in overdue}):
            CircuitBreaker(con, processor_key(phase_to), alerter=alerter).record_failure(
                f"healing run did not close its gaps within {retrigger_after_minutes} minutes"
            )
        set_gap_status(con, [g.gap_id for g in overdue], "failed", now=now)
        open_now = [g for g in scan.open_gaps if g.gap_id not in {o.gap_id for o in overdue}] + [
            _with_status(g, "failed") for g in overdue
        ]
        plan = plan_healing(con, open_now, today, max_age_days)
        alert_old_gaps(con, plan.too_old, alerter, max_age_days)
        runs = plan.next_runs()
        if not runs:
            waiting = f"; {len(plan.waiting)} gap(s) wait for their run" if plan.waiting else ""
            old = f"; {len(plan.too_old)} older than {max_age_days} days (alerted)" if plan.too_old else ""
            return [], f"no gaps to heal{waiting}{old}"
        breaker = CircuitBreaker(con, processor_key(runs[0].pair.downstream), alerter=alerter)
        decision = breaker.check()
        if not decision.allowed:
            return [], decision.message
        requests = []
        for heal_range in runs:
            phases = [p for p in PHASES if p.number >= heal_range.pair.downstream]
            dbt_like = [p for p in phases if p.dbt_selector or p.python_steps]
            end = (
                plan_backfill(con, heal_range.start, heal_range.end, dbt_like, cascade=True, strict=False).end
                if dbt_like
                else heal_range.end
            )
            run_key = f"heal-{heal_range.pair.label}-{heal_range.start}-{end}-{uuid.uuid4().hex[:8]}"
            requests.append(
                HealRequest(
                    heal_range.pair.label,
                    heal_range.start,
                    end,
                    [p.number for p in phases],
                    [g.gap_id for g in heal_range.gaps],
                    run_key,
                    {
                        **range_tags(heal_range.start.isoformat(), end.isoformat()),
                        HEAL_TAG: heal_range.pair.label,
                        MODE_TAG: "normal",
                    },
                )
            )
            set_gap_status(con, requests[-1].gap_ids, "triggered", run_key, now=now)
    return requests, ""


def _with_status(gap, status: str):
    from dataclasses import replace

    return replace(gap, healing_status=status)
