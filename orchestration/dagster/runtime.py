"""What every warehouse-writing step of a run shares.

- the window: the partition range of the run (one run per range);
- the mode (strict / backfill, trigger) from the run's tags;
- the plan: `orchestration.backfill.plan_backfill`, the same strict check and
  forward cascade `nba-pipeline backfill` uses, for the phases of this step;
- BLOCKED: when a date of the run is blocked the step writes `blocked` rows
  (and `skipped` rows, reason `run_blocked`, for the other dates), raises an
  alert and fails with the missing dates and the commands that fill them.
  Dates blocked only in the cascade's extension (later dates of the season)
  do not fail the run: they are recorded `blocked` and alerted, and stay stale;
- run history: one row per asset and date (`record`), with rows written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
from dagster import AssetKey, Failure, MetadataValue

from orchestration.backfill import BackfillPlan, BlockedDates, plan_backfill
from orchestration.dagster.concurrency import connect_when_free
from orchestration.dagster.modes import PENDING_ALERTS_TAG, RunMode, resolve_mode
from orchestration.dagster.partitions import partition_window
from orchestration.completeness import scheduled_game_dates
from orchestration.dates import days
from orchestration.phases import Phase
from orchestration.run_history import RunRecord, record_runs

DAGSTER_COMMAND = "dagster asset materialize -m orchestration.definitions"
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class AssetTarget:
    """One asset a step materializes: its phase and the table holding its dated rows."""

    key: AssetKey
    phase: int
    relation: str | None = None       # "schema.table" with a game_date column; None: nothing to count

    @property
    def name(self) -> str:
        return self.key.to_user_string()


def dagster_fix_command(blocked: BlockedDates, end: date) -> str:
    first = blocked.missing_upstream[0] if blocked.missing_upstream else blocked.dates[0]
    return f"{DAGSTER_COMMAND} --select '*' --partition-range {first}...{max(end, blocked.dates[-1])}"


def blocked_message(plan: BackfillPlan) -> str:
    lines = []
    for blocked in plan.blocked:
        lines.append(blocked.message())
        lines.append(f"  or in Dagster: {dagster_fix_command(blocked, plan.end)}")
    return "\n".join(lines)


class StepRun:
    """One warehouse-writing step of a Dagster run over a range of game dates."""

    def __init__(self, context, pipeline, source: str):
        self.context = context
        self.pipeline = pipeline
        self.source = source
        self.log = context.log
        self.run_id = context.run.run_id
        self.start, self.end = partition_window(context)
        tags = dict(context.run.tags)
        self.mode: RunMode = resolve_mode(tags, pipeline.strict, pipeline.cascade, pipeline.backfill_mode,
                                          pipeline.recent_days)
        self.warehouse = pipeline.warehouse()
        self.started_at = datetime.now()
        self.log.info(f"{source}: {self.start}..{self.end} on {self.warehouse} ({self.mode.describe()})")

    # -- warehouse -------------------------------------------------------------------------

    def connect(self) -> duckdb.DuckDBPyConnection:
        return connect_when_free(self.warehouse, self.pipeline.lock_wait_seconds, log=self.log.info)

    def plan(self, phases: list[Phase]) -> BackfillPlan:
        with self.connect() as con:
            return plan_backfill(con, self.start, self.end, phases, cascade=self.mode.cascade, strict=self.mode.strict)

    @staticmethod
    def rows_by_date(con, targets: list[AssetTarget], start: date, end: date) -> dict[AssetKey, dict[date, int]]:
        """Rows each target's table holds per date after the step (what the run wrote for it)."""
        counts: dict[AssetKey, dict[date, int]] = {}
        dated = {row[0] for row in con.execute(
            "select table_schema || '.' || table_name from information_schema.columns where column_name = 'game_date'"
        ).fetchall()}
        for target in targets:
            if not target.relation or target.relation not in dated:
                continue
            rows = con.execute(f"select game_date, count(*) from {target.relation} "
                               "where game_date between ? and ? group by 1", [start, end]).fetchall()
            counts[target.key] = {day: count for day, count in rows}
        return counts

    # -- run history ------------------------------------------------------------------------

    def record(
        self,
        con,
        targets: list[AssetTarget],
        start: date,
        end: date,
        status: str,
        *,
        status_by_target: dict[AssetKey, tuple[str, str | None]] | None = None,
        skip_reason: str | None = None,
        message: str | None = None,
        count_rows: bool = True,
    ) -> int:
        """One row per target and date in [start, end]; dates without games succeed as `no_games`."""
        if not targets or start > end:
            return 0
        finished = datetime.now()
        duration = (finished - self.started_at).total_seconds()
        games = scheduled_game_dates(con, start, end)
        written = self.rows_by_date(con, targets, start, end) if count_rows and status == "success" else {}
        records = []
        for target in targets:
            target_status, target_reason = (status_by_target or {}).get(target.key, (status, skip_reason))
            for day in days(start, end):
                reason = target_reason
                if target_status == "success" and reason is None and day not in games:
                    reason = "no_games"
                note = message
                if day > self.end and target_status == "success":
                    note = f"forward cascade of {self.start}..{self.end}" + (f"; {message}" if message else "")
                rows = written.get(target.key)
                records.append(RunRecord(
                    run_id=self.run_id, asset=target.name, phase=target.phase, game_date=day,
                    status=target_status, skip_reason=reason,
                    rows_written=(rows.get(day, 0) if rows is not None else None),
                    started_at=self.started_at, finished_at=finished, duration_seconds=duration,
                    is_backfill=self.mode.backfill, trigger=self.mode.trigger, message=note,
                ))
        record_runs(con, records)
        return len(records)

    # -- alerts -----------------------------------------------------------------------------

    def alert(self, con, severity: str, message: str, start: date | None = None, end: date | None = None,
              category: str | None = None) -> None:
        """Through the project's alerting: sent now in normal mode; in backfill mode kept for the
        backfill's one digest (the sensor `backfill_alert_digest` sends it when the backfill ends)."""
        recorded = self._alerter(con).alert(category or self.source, message, severity=severity, run_id=self.run_id,
                                            start_date=start or self.start, end_date=end or self.end)
        if recorded.delivery == "pending_digest":
            self.context.instance.add_run_tags(self.run_id, {PENDING_ALERTS_TAG: "true"})
            self.log.warning(f"alert kept for the backfill's digest: {message}")

    # -- strict mode ------------------------------------------------------------------------

    def apply_plan(self, plan: BackfillPlan, targets: list[AssetTarget]) -> tuple[date, date]:
        """The range to build (start .. cascade end), or Failure when a date of the run is BLOCKED."""
        if plan.cascaded:
            self.log.info(f"forward cascade: {self.start}..{self.end} extends to {plan.end}")
        if not plan.blocked:
            return self.start, plan.end
        blocked_days = {day: blocked for blocked in plan.blocked for day in blocked.dates}
        in_run = sorted(day for day in blocked_days if self.start <= day <= self.end)
        text = blocked_message(plan)
        with self.connect() as con:
            if in_run:
                self._record_blocked(con, targets, blocked_days, self.start, plan.end, run_blocked=True)
                self.alert(con, "error", text, category="phase_blocked")
            else:
                runnable_end = min(blocked_days) - _ONE_DAY
                self._record_blocked(con, targets, blocked_days, runnable_end + _ONE_DAY, plan.end,
                                     run_blocked=False)
                self.alert(con, "warning", "forward cascade stopped, later dates stay stale:\n" + text,
                           runnable_end + _ONE_DAY, plan.end, category="phase_blocked")
        if in_run:
            raise Failure(
                description=text,
                metadata={
                    "blocked_dates": MetadataValue.text(", ".join(d.isoformat() for d in in_run)),
                    "missing_upstream": MetadataValue.text(", ".join(
                        d.isoformat() for b in plan.blocked for d in b.missing_upstream)),
                    "fix": MetadataValue.text("\n".join(b.fix_command for b in plan.blocked)),
                },
            )
        self.log.warning(text)
        return self.start, runnable_end

    def _record_blocked(self, con, targets, blocked_days: dict[date, BlockedDates], start: date, end: date,
                        run_blocked: bool) -> None:
        now = datetime.now()
        records = []
        for target in targets:
            for day in days(start, end):
                blocked = blocked_days.get(day)
                if blocked and blocked.phase <= target.phase:
                    status, reason, message = "blocked", None, blocked.message()
                elif run_blocked:
                    status, reason, message = "skipped", "run_blocked", "another date of the run is BLOCKED"
                else:
                    continue
                records.append(RunRecord(self.run_id, target.name, target.phase, day, status, reason, None,
                                         self.started_at, now, (now - self.started_at).total_seconds(),
                                         self.mode.backfill, self.mode.trigger, message))
        record_runs(con, records)

    # -- circuit breakers and smart skip (orchestration.monitoring) --------------------------

    def _alerter(self, con):
        from orchestration.monitoring.alerts import Alerter

        alerter = Alerter(con, logger=self.log, source=self.source)
        alerter.backfill_id = self.mode.backfill_id if self.mode.backfill else None
        return alerter

    def guard(self, targets: list[AssetTarget], phases: list[int]) -> bool:
        """Before the work: an OPEN circuit of any phase skips the step (`circuit_open`); in normal
        automated runs, unchanged inputs of every phase skip it too (`unchanged_inputs`).
        Returns True when skipped (rows recorded)."""
        from orchestration.monitoring.dagster_hooks import guard_partition

        if not phases:
            return False
        with self.connect() as con:
            alerter = self._alerter(con)
            decisions = [guard_partition(con, number, self.start, self.end, self.mode.backfill,
                                         smart_skip=self.mode.smart_skip, alerter=alerter) for number in phases]
            blocking = next((d for d in decisions if d.skip and d.reason == "circuit_open"), None)
            if blocking is None and all(d.skip for d in decisions):
                blocking = decisions[0]
            if blocking is None:
                return False
            self.record(con, targets, self.start, self.end, "skipped", skip_reason=blocking.reason,
                        message=blocking.message, count_rows=False)
        self.log.warning(f"skipped ({blocking.reason}): {blocking.message}")
        return True

    def finish(self, phases: list[int], ok: bool, error: str = "") -> None:
        """After the work: feed each phase's circuit breaker, record the input fingerprints."""
        from orchestration.monitoring.dagster_hooks import finish_partition

        if not phases:
            return
        with self.connect() as con:
            alerter = self._alerter(con)
            for number in phases:
                state = finish_partition(con, number, self.start, self.end, ok, error, self.mode.backfill,
                                         self.run_id, alerter=alerter)
                if state != "CLOSED":
                    self.log.warning(f"circuit breaker of phase {number}: {state}")

    # -- normal mode ------------------------------------------------------------------------

    def skip_if_historical(self, targets: list[AssetTarget]) -> bool:
        """Early exit for old dates in normal mode (automated runs only); True when skipped."""
        if not self.mode.skips_as_historical(self.end):
            return False
        with self.connect() as con:
            self.record(con, targets, self.start, self.end, "skipped", skip_reason="historical_date",
                        message="normal mode: old dates are left to backfills", count_rows=False)
        self.log.info(f"skipped: {self.start}..{self.end} is older than {self.mode.recent_days} days (normal mode)")
        return True

