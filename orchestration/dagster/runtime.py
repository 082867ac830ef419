"""What every warehouse-writing Dagster step shares: the project's one runner.

A Dagster run is one `PipelineRun` (orchestration/runner.py), recorded under
the Dagster run id; each step (a multi-asset) executes its own pipeline step
through it, so Dagster and `nba-pipeline` plan, build, record and alert alike.
Here only what is Dagster's own:
- the window: the partition range of the run (one run per range);
- the mode (strict / backfill, trigger) from the run's tags;
- BLOCKED: when a date of the step's own range is blocked the step records it
  and fails with the missing dates and the commands that fill them (in
  Dagster and in `nba-pipeline` form). Dates blocked only in the cascade's
  extension (later dates of the season) do not fail the run: they are
  recorded, alerted, and the step builds up to the day before;
- alerts kept for a backfill's digest tag the run (`nba/pending_alerts`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from dagster import AssetKey, Failure, MetadataValue

from orchestration.dagster.partitions import partition_window
from orchestration.phases import Phase
from orchestration.run_modes import PENDING_ALERTS_TAG, resolve_mode
from orchestration.runner import PipelineRun, StepOutcome

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class AssetTarget:
    """One asset a step materializes: its phase and the table holding its dated rows."""

    key: AssetKey
    phase: int
    relation: str | None = None  # "schema.table" with a game_date column; None: nothing to count

    @property
    def name(self) -> str:
        """How run history names it: "schema.table", as for `nba-pipeline` runs."""
        return ".".join(self.key.path)


def tables_by_phase(targets: list[AssetTarget]) -> dict[int, list[str]]:
    tables: dict[int, list[str]] = {}
    for target in targets:
        tables.setdefault(target.phase, []).append(target.name)
    return tables


class DagsterStep:
    """One warehouse-writing step of a Dagster run over a range of game dates."""

    def __init__(self, context, pipeline, source: str, targets: list[AssetTarget], **run_options):
        self.context = context
        self.targets = targets
        self.start, self.end = partition_window(context)
        mode = resolve_mode(
            dict(context.run.tags), pipeline.strict, pipeline.cascade, pipeline.backfill_mode, pipeline.recent_days
        )
        self.run = PipelineRun(
            pipeline.warehouse(),
            mode,
            run_id=context.run.run_id,
            runner="dagster",
            command=f"dagster run {context.run.job_name}",
            say=context.log.info,
            backfill_id=mode.backfill_id,
            **run_options,
        )
        context.log.info(f"{source}: {self.start}..{self.end} on {self.run.warehouse} ({mode.describe()})")
        self.plan_metadata: dict = {}  # the run's plan, on the first planning step's first output

    def preview_run(self) -> None:
        """On the run's first step that plans (after the load, if the run loads): what the whole range run
        will do (every dbt phase, as `nba-pipeline backfill --dry-run` shows it) in the log and as metadata
        of the step's first output."""
        from orchestration.phases import DBT_PHASES
        from orchestration.preview import preview_backfill
        from orchestration.step_history import STEP_RUNS

        with self.run.connect() as con:
            planned_before = con.execute(
                f"select count(*) from {STEP_RUNS} where run_id = ? and step != 'load'", [self.run.run_id]
            ).fetchone()[0]
            if planned_before:
                return
            preview = preview_backfill(
                con, self.start, self.end, list(DBT_PHASES), cascade=self.run.mode.cascade, strict=self.run.mode.strict
            )
        text = preview.describe().replace("dry run: nothing is written. ", "plan of this run: ", 1)
        self.context.log.info(text)
        self.plan_metadata = {
            "backfill_plan": MetadataValue.md(f"```\n{text}\n```"),
            "backfill_plan_json": MetadataValue.json(preview.as_dict()),
        }

    @contextmanager
    def held(self) -> Iterator[DagsterStep]:
        """The warehouse held for the step's writes (against `nba-pipeline` and other runs' steps), and
        the Dagster run recorded in pipeline_runs when this is its first step."""
        with self.run.lock():
            self.run.begin(self.start, self.end)
            yield self

    def plan(self, phases: list[Phase]) -> tuple[date, date]:
        """The range to build (start .. cascade end), or Failure when a date of the run is BLOCKED."""
        self.preview_run()
        plan = self.run.plan(self.start, self.end, phases)
        if plan.cascaded:
            self.context.log.info(f"forward cascade: {self.start}..{self.end} extends to {plan.end}")
        if not plan.blocked:
            return self.start, plan.end
        blocked_days = sorted({day for blocked in plan.blocked for day in blocked.dates})
        in_run = [day for day in blocked_days if self.start <= day <= self.end]
        text = "\n".join(
            f"{blocked.message()}\n  or in Dagster: {blocked.dagster_fix_command(plan.end)}" for blocked in plan.blocked
        )
        if in_run:
            self.run.record_blocked(plan, tables_by_phase(self.targets), skip_others=(self.start, plan.end))
            self.tag_pending_alerts()
            raise Failure(
                description=text,
                metadata={
                    "blocked_dates": MetadataValue.text(", ".join(d.isoformat() for d in in_run)),
                    "missing_upstream": MetadataValue.text(
                        ", ".join(d.isoformat() for b in plan.blocked for d in b.missing_upstream)
                    ),
                    "fix": MetadataValue.text("\n".join(b.fix_command for b in plan.blocked)),
                },
            )
        self.run.record_blocked(plan, tables_by_phase(self.targets), severity="warning")
        self.tag_pending_alerts()
        self.context.log.warning("forward cascade stopped, later dates stay stale:\n" + text)
        return self.start, blocked_days[0] - _ONE_DAY

    def execute(self, step, start: date, end: date, on_dbt_event=None) -> StepOutcome:
        outcome = self.run.execute_step(step, start, end, on_dbt_event, tables=tables_by_phase(self.targets))
        self.tag_pending_alerts()
        return outcome

    def tag_pending_alerts(self) -> None:
        """A run whose alerts wait for its backfill's digest says so (the digest sensor reads the tag)."""
        if self.run.alerter.kept_for_digest:
            self.context.instance.add_run_tags(self.run.run_id, {PENDING_ALERTS_TAG: "true"})
