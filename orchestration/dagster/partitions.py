"""One daily partitions definition on game_date, shared by every asset, and how runs span it.

- Partition keys are US-Eastern game dates (`2022-04-16`), the NBA's own date
  convention; today's partition exists (`end_offset=1`) so the daily run can
  build today's context and predictions.
- Start: `NBA_PIPELINE_PARTITION_START` (default 2010-10-01, before the first
  season of the real data). About 5,500 partitions: the UI stays quick.
- Backfill policy: one run per range (`BackfillPolicy.single_run()`) unless
  `NBA_PIPELINE_BACKFILL_CHUNK_DAYS=N` asks for bounded chunks of N dates
  (`multi_run`). Every asset uses the same policy, which a `--partition-range`
  run needs.
"""

from __future__ import annotations

from datetime import date, timedelta

from dagster import BackfillPolicy, DailyPartitionsDefinition

from orchestration.settings import settings

GAME_DATE_TIMEZONE = "America/New_York"


def partition_start() -> date:
    return settings().partition_start


def backfill_chunk_days() -> int | None:
    """N from NBA_PIPELINE_BACKFILL_CHUNK_DAYS (None when unset or 0: one run per range)."""
    return settings().backfill_chunk_days or None


def make_backfill_policy() -> BackfillPolicy:
    chunk = backfill_chunk_days()
    return BackfillPolicy.multi_run(max_partitions_per_run=chunk) if chunk else BackfillPolicy.single_run()


GAME_DATE_PARTITIONS = DailyPartitionsDefinition(
    start_date=partition_start().isoformat(),
    timezone=GAME_DATE_TIMEZONE,
    end_offset=1,
)
BACKFILL_POLICY = make_backfill_policy()


def partition_window(context) -> tuple[date, date]:
    """The run's dates, both ends included (a single partition or a range)."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()
