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

import os
from datetime import date, timedelta

from dagster import BackfillPolicy, DailyPartitionsDefinition

from orchestration.dates import parse_iso_date

PARTITION_START_ENV = "NBA_PIPELINE_PARTITION_START"
DEFAULT_PARTITION_START = "2010-10-01"
CHUNK_DAYS_ENV = "NBA_PIPELINE_BACKFILL_CHUNK_DAYS"
GAME_DATE_TIMEZONE = "America/New_York"


def partition_start() -> date:
    return parse_iso_date(os.environ.get(PARTITION_START_ENV) or DEFAULT_PARTITION_START, PARTITION_START_ENV)


def backfill_chunk_days() -> int | None:
    """N from NBA_PIPELINE_BACKFILL_CHUNK_DAYS (None/empty/0: one run per range)."""
    raw = (os.environ.get(CHUNK_DAYS_ENV) or "").strip()
    if not raw or raw == "0":
        return None
    if not raw.isdigit():
        raise ValueError(f"{CHUNK_DAYS_ENV}={raw!r}: expected a number of dates per run, e.g. 30")
    return int(raw)


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
