"""Asset checks written in Python. The dbt tests become asset checks through dagster-dbt
(error severity = blocking: a failure stops the downstream assets of the run).

`raw_box_scores_cover_schedule` (on nba_raw/nbac_player_boxscore, warning, not
blocking): every final game of the run's dates has player and team box rows.
A gap here is reported, not fatal: strict mode blocks the downstream phases of
the incomplete dates and names the fix, and the gap scanner finds it.
"""

from __future__ import annotations

from datetime import date

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from orchestration.completeness import incomplete_dates
from orchestration.phases import PHASES_BY_NUMBER

RAW_COVERAGE_CHECK_NAME = "raw_box_scores_cover_schedule"
RAW_COVERAGE_ASSET = AssetKey(["nba_raw", "nbac_player_boxscore"])

RAW_COVERAGE_CHECK = AssetCheckSpec(
    RAW_COVERAGE_CHECK_NAME,
    asset=RAW_COVERAGE_ASSET,
    blocking=False,
    description="Every final game of the run's dates has player and team box score rows (Phase 2 completeness).",
)


def raw_coverage_result(run, start: date, end: date) -> AssetCheckResult:
    with run.connect() as con:
        missing = incomplete_dates(con, PHASES_BY_NUMBER[2], start, end)
    shown = ", ".join(day.isoformat() for day in missing[:20]) + (" ..." if len(missing) > 20 else "")
    return AssetCheckResult(
        check_name=RAW_COVERAGE_CHECK_NAME,
        asset_key=RAW_COVERAGE_ASSET,
        passed=not missing,
        severity=AssetCheckSeverity.WARN,
        metadata={"incomplete_dates": MetadataValue.int(len(missing)), "dates": MetadataValue.text(shown or "none")},
    )


def step_check_spec(name: str, asset: AssetKey) -> AssetCheckSpec:
    return AssetCheckSpec(
        f"{name}_succeeded",
        asset=asset,
        blocking=False,
        description="The Python step ran without error (a failure never stops the other systems).",
    )
