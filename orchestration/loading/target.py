"""Phase 2 into the selected target: BigQuery when NBA_PIPELINE_TARGET=prod, else the DuckDB warehouse.

    from orchestration.loading import load_landing_into_target
    report = load_landing_into_target(Path("landing"), start=date(2024, 4, 20), end=date(2024, 4, 22))

The BigQuery writer is imported only on the prod target (google-cloud-bigquery is
the optional extra `bigquery`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from orchestration.loading.report import LoadReport
from orchestration.warehouse import current_warehouse


def load_landing_into_target(
    landing_dir: Path,
    start: date | None = None,
    end: date | None = None,
    progress: Callable[[str], None] | None = None,
    command: str = "nba-pipeline load",
    allow_other_dataset: bool = False,
) -> LoadReport:
    """`load_landing` into the warehouse of the selected target (same arguments, same report).

    On DuckDB the load holds the warehouse's writer lock (`command` names it to waiting processes; a caller
    that holds it already, such as a backfill, keeps it) and waits, saying so, while another process has it."""
    warehouse = current_warehouse()
    with warehouse.lock(command, say=progress or print):
        return warehouse.load(Path(landing_dir), start, end, progress=progress, allow_other_dataset=allow_other_dataset)
