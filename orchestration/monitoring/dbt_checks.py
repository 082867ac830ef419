"""What dbt says about one date, for `nba-pipeline validate`: its data tests and source freshness.

The quality rules live once, as dbt tests beside the models (severity `error` for
impossible values, `warn` for implausible ones; README "Gates"). `validate --date D`
runs them over D (each test filters to the run window where it can) with
`dbt source freshness`, in this process, the warehouse opened read-only and nothing
written. Run it with no connection to the warehouse open in this process (DuckDB
refuses a second one with another configuration), under the readers' shared lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration.dbt_invoke import DbtNodeResult, DbtProject


@dataclass(frozen=True)
class DbtDateChecks:
    game_date: date
    tests: list[DbtNodeResult] = field(default_factory=list)
    freshness: list[DbtNodeResult] = field(default_factory=list)
    error: str | None = None  # dbt could not run (e.g. the warehouse has no build yet)


def run_date_checks(warehouse: Path | None, day: date) -> DbtDateChecks:
    """dbt's tests and source freshness for `day` on a DuckDB file, or (None) the target's warehouse."""
    project = DbtProject(warehouse)
    try:
        project.manifest()
    except RuntimeError as error:  # the project does not parse here: the report says so, cleanly
        return DbtDateChecks(day, error=str(error))
    silent = ["--log-level", "none"]  # the results are the report; dbt's own lines would interleave it
    tests = project.invoke(["test", "--exclude-resource-type", "unit_test", *silent], day, day, read_only=True)
    freshness = project.invoke(["source", "freshness", *silent], read_only=True)
    errors = [result.error for result in (tests, freshness) if result.error]
    return DbtDateChecks(
        day,
        [node for node in tests.nodes if node.resource_type == "test"],
        [node for node in freshness.nodes if node.resource_type == "source"],
        "; ".join(errors) or None,
    )
