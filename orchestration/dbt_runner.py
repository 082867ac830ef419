"""Run `dbt build` over a date window, the way every entry point does it.

The window reaches the models through NBA_START_DATE / NBA_END_DATE rather
than --vars: a changed --vars forces dbt to re-parse the whole project on
every run, the env vars are only read while executing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Sequence

from orchestration.paths import DBT_PROJECT_DIR, warehouse_path


@dataclass
class DbtNodeResult:
    unique_id: str
    resource_type: str
    status: str
    message: str | None
    failures: int | None


@dataclass
class DbtBuildResult:
    succeeded: bool
    returncode: int
    duration_seconds: float
    nodes: list[DbtNodeResult] = field(default_factory=list)
    output_tail: str = ""

    @property
    def failed_nodes(self) -> list[DbtNodeResult]:
        return [node for node in self.nodes if node.status in {"error", "fail", "runtime error"}]

    def failure_summary(self) -> str:
        lines = [f"{node.unique_id}: {node.status} ({node.message})" for node in self.failed_nodes]
        return "\n".join(lines) or self.output_tail


def dbt_executable() -> str:
    """The dbt next to this interpreter (the project venv), else the one on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_window_vars(start: date | None, end: date | None, warehouse: Path | None = None) -> dict[str, str]:
    """The run window and warehouse as the environment the models read (`env_var()`): not
    `--vars`, which would make dbt re-parse the project on every run."""
    return {"NBA_PIPELINE_DUCKDB": str(warehouse or warehouse_path()),
            "NBA_START_DATE": start.isoformat() if start else "",
            "NBA_END_DATE": end.isoformat() if end else ""}


def dbt_env(start: date | None, end: date | None, warehouse: Path | None = None) -> dict[str, str]:
    env = {**os.environ, **dbt_window_vars(start, end, warehouse)}
    env.setdefault("DBT_USE_COLORS", "false")
    return env


def run_dbt(
    args: Sequence[str],
    start: date | None = None,
    end: date | None = None,
    warehouse: Path | None = None,
    target_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DbtBuildResult:
    """Run one dbt command in a subprocess (so the DuckDB file is free again when it returns)."""
    command = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if target_path:
        command += ["--target-path", str(target_path)]
    run_results = (target_path or DBT_PROJECT_DIR / "target") / "run_results.json"
    run_results.unlink(missing_ok=True)  # never read a previous run's results
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=DBT_PROJECT_DIR,
        env=dbt_env(start, end, warehouse),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tail: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        tail = (tail + [line.rstrip()])[-40:]
        if progress and _is_progress_line(line):
            progress("  dbt: " + line.strip().split(" ", 1)[-1])
    returncode = process.wait()
    duration = time.monotonic() - started
    nodes = _read_run_results(run_results) if run_results.exists() else []
    return DbtBuildResult(returncode == 0, returncode, duration, nodes, "\n".join(tail))


def dbt_build(
    selectors: Sequence[str],
    start: date | None,
    end: date | None,
    warehouse: Path | None = None,
    target_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DbtBuildResult:
    args = ["build"]
    if selectors:
        args += ["--select", *[part for selector in selectors for part in selector.split()]]
    return run_dbt(args, start, end, warehouse, target_path, progress)


def _is_progress_line(line: str) -> bool:
    """Model completions and every failure; passing tests stay quiet."""
    if " of " not in line:
        return False
    return " OK created " in line or " ERROR " in line or " FAIL " in line or " WARN " in line


def _read_run_results(path: Path) -> list[DbtNodeResult]:
    payload = json.loads(path.read_text())
    return [
        DbtNodeResult(
            unique_id=result["unique_id"],
            resource_type=result["unique_id"].split(".", 1)[0],
            status=str(result["status"]),
            message=result.get("message"),
            failures=result.get("failures"),
        )
        for result in payload.get("results", [])
    ]
