"""dbt in this process: one import, one parse per warehouse, many invocations.

Every build of the pipeline (CLI backfill, heal, the demo, the Dagster assets,
the tests) goes through `DbtProject.invoke`, which runs dbt's programmatic
entry point (`dbtRunner`) and returns dbt's own structured results: per node
its status, message, failures and execution time. Nothing parses dbt's
console output.

Why in process rather than a `dbt` subprocess per build: a subprocess pays
Python start-up, the dbt import (about 2 s here) and a parse for every build;
here a run pays them once and every later build of the run reuses the parsed
manifest.

The run window reaches the models through the env vars NBA_START_DATE /
NBA_END_DATE, set for the duration of one invocation (the macros read them
while executing, so a new window never invalidates the parsed manifest).
"""

from __future__ import annotations

import copy
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from orchestration.paths import DBT_PROJECT_DIR, warehouse_path
from orchestration.phases import phase_of_tags
from orchestration.settings import overridden_environment, settings

READ_ONLY_TARGET = "dev_read_only"  # profiles.yml: the dev DuckDB file, opened read-only
WINDOW_ENV = ("NBA_START_DATE", "NBA_END_DATE")
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
# one dbt invocation at a time in a process: dbt keeps global state (flags, adapters, the env)
_INVOCATION_LOCK = threading.RLock()

DbtEventHandler = Callable[[dict[str, Any]], None]
# The dbt events a handler gets: the nodes' starts and results, what the progress lines, the runner's test
# hooks and dagster-dbt's asset events read. dbt fires many more per node (the SQL of each query among
# them); turning every one into a dict cost about 1 s of a one-date run through every phase (py-spy).
FORWARDED_EVENTS = frozenset(
    {"NodeStart", "NodeFinished", "LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"}
)


@dataclass(frozen=True)
class DbtNodeResult:
    unique_id: str
    resource_type: str
    status: str
    message: str | None
    failures: int | None
    execution_time: float
    relation: str | None = None  # "schema.table" of a model or source; None for tests and others
    phase: int | None = None  # from the node's phase_<n> tag
    age_seconds: float | None = None  # `dbt source freshness`: how long ago the source was last loaded
    compiled_code: str | None = None  # a failed test's query (gate_failures.py reruns it to show its rows)

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass
class DbtBuildResult:
    succeeded: bool
    duration_seconds: float
    nodes: list[DbtNodeResult] = field(default_factory=list)
    error: str | None = None  # dbt could not run at all (compilation, connection...)

    @property
    def failed_nodes(self) -> list[DbtNodeResult]:
        return [node for node in self.nodes if node.failed]

    @property
    def node_seconds(self) -> float:
        """dbt's own execution time of every node (what the SQL cost, without start-up)."""
        return sum(node.execution_time for node in self.nodes)

    def model_status(self) -> dict[str, str]:
        """relation -> success | error | skipped, for the models the invocation ran."""
        return {node.relation: node.status for node in self.nodes if node.relation}

    def failure_summary(self) -> str:
        lines = [f"{node.unique_id}: {node.status} ({(node.message or '').strip()})" for node in self.failed_nodes]
        if self.error:
            lines.append(self.error)
        if any(DUCKDB_OUT_OF_MEMORY in line for line in lines):
            lines.append(out_of_memory_hint())
        return "\n".join(lines)


DUCKDB_OUT_OF_MEMORY = "Out of Memory Error"


def out_of_memory_hint() -> str:
    """What to do when DuckDB's buffer limit was too small for a model over the run's range (seen once in
    `player_daily_cache` over 16 seasons in one run at 512MB)."""
    limit = settings().duckdb_memory_limit
    return (
        f"DuckDB ran out of its memory limit ({limit}): raise NBA_PIPELINE_DUCKDB_MEMORY_LIMIT (e.g. "
        "NBA_PIPELINE_DUCKDB_MEMORY_LIMIT=1GB), or backfill fewer seasons per run; the rerun replaces exactly "
        "the failed dates"
    )


def dbt_executable() -> str:
    """The dbt next to this interpreter (the project venv), else the one on PATH."""
    import sys

    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def target_name() -> str:
    return settings().target


def window_env(start: date | None, end: date | None, warehouse: Path | None = None) -> dict[str, str]:
    """The run window and warehouse as the environment the models read (`env_var()`)."""
    return {
        "NBA_PIPELINE_DUCKDB": str(warehouse or warehouse_path()),
        "NBA_START_DATE": start.isoformat() if start else "",
        "NBA_END_DATE": end.isoformat() if end else "",
    }


def _release_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB connection open in the process after an invocation; close it, so
    this process (and others) can open the warehouse again (DuckDB refuses a second connection with
    another configuration, and other processes a file this one holds)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter
        return
    try:
        DuckDBConnectionManager.env().close()
    except Exception:  # no environment was created: nothing to close
        pass
    DuckDBConnectionManager.close_all_connections()


def _event_dict(message) -> dict[str, Any]:
    from dbt_common.events.functions import msg_to_dict

    return msg_to_dict(message)


def _node_result(result) -> DbtNodeResult:
    node = result.node
    relation = {
        "model": lambda: f"{node.schema}.{node.alias}",
        "source": lambda: f"{node.schema}.{node.identifier}",
    }.get(str(node.resource_type), lambda: None)()
    failed_test = str(node.resource_type) == "test" and str(result.status) in FAILED_STATUSES
    return DbtNodeResult(
        node.unique_id,
        str(node.resource_type),
        str(result.status),
        result.message,
        result.failures,
        float(result.execution_time or 0.0),
        relation,
        phase_of_tags(getattr(node, "tags", None)),
        _source_age(result),
        getattr(node, "compiled_code", None) if failed_test else None,
    )


def _source_age(result) -> float | None:
    """A freshness result's age; None for a source with no rows (dbt then measures from the year 1)."""
    loaded = getattr(result, "max_loaded_at", None)
    if loaded is None or loaded.year < 1900:
        return None
    return getattr(result, "age", None)


def _writable_target(path: Path) -> Path:
    """The project's target folder, or one in the temp folder for a user who cannot write the project
    (a reader of a shared checkout running `validate`): dbt writes its parse state and logs there."""
    existing = next(folder for folder in (path, *path.parents) if folder.exists())
    if os.access(existing, os.W_OK):
        return path
    return Path(tempfile.gettempdir()) / f"nba-pipeline-dbt-{os.getuid()}" / path.name


class DbtProject:
    """The project's dbt, invoked in this process against one warehouse.

    The parsed manifest is kept per warehouse name and target: DuckDB names its
    catalog after the file (`nba` for nba.duckdb), and compiled SQL names
    relations with it, so files of the same name share a parse. Each warehouse
    name has its own target folder, which keeps dbt's partial-parse state between
    processes, wherever the file lies (a later process parses in about a second)."""

    _manifests: dict[tuple[str, str, str], Any] = {}

    def __init__(
        self, warehouse: Path | None = None, project_dir: Path = DBT_PROJECT_DIR, target_path: Path | None = None
    ):
        self.warehouse = Path(warehouse) if warehouse else warehouse_path()
        self.project_dir = project_dir
        key = hashlib.sha1(f"{self.warehouse.stem}|{target_name()}".encode()).hexdigest()[:12]
        targets = settings().dbt_target_dir if project_dir == DBT_PROJECT_DIR else project_dir / "target"
        self.target_path = target_path or _writable_target(targets / "runs" / key)

    @classmethod
    def for_warehouse(cls, warehouse) -> DbtProject:
        """The project against a `Warehouse`: its DuckDB file on dev; on BigQuery the profile's prod target
        (the project and location come from the settings, as for every dbt command)."""
        from orchestration.warehouse import DuckDBWarehouse

        return cls(warehouse.path if isinstance(warehouse, DuckDBWarehouse) else None)

    def _common_args(self) -> list[str]:
        return [
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir),
            "--target-path",
            str(self.target_path),
            "--log-path",
            str(self.target_path),
        ]

    def _manifest_key(self) -> tuple[str, str, str]:
        return self.warehouse.stem, target_name(), str(self.target_path)

    def is_parsed(self) -> bool:
        """Whether this process has parsed the project for this warehouse already (the next build starts at once)."""
        return self._manifest_key() in self._manifests

    def manifest(self):
        """The parsed project (parsed once per process, warehouse name and target)."""
        from dbt.cli.main import dbtRunner

        key = self._manifest_key()
        if key not in self._manifests:
            # Parsed against a stand-in file of the same name in this target folder: the parse never
            # opens the file, and the compiled SQL names the catalog after the file's stem only. dbt
            # keeps its partial-parse state only while the profile's connection values stay the same,
            # and a warehouse in a new folder (each test's, each bench size's) made every process's
            # first parse a full one (10.5-12 s against 5 s, one load).
            stand_in = self.target_path / self.warehouse.name
            with _INVOCATION_LOCK, overridden_environment(window_env(None, None, stand_in)):
                outcome = dbtRunner().invoke(["parse", "--quiet", *self._common_args()])
                _release_duckdb()
            if not outcome.success:
                raise RuntimeError(f"dbt parse failed: {outcome.exception}")
            self._manifests[key] = outcome.result
        return self._manifests[key]

    def invoke(
        self,
        args: Sequence[str],
        start: date | None = None,
        end: date | None = None,
        on_event: DbtEventHandler | None = None,
        read_only: bool = False,
    ) -> DbtBuildResult:
        """One dbt command (build, test, run, compile ...) over the window [start, end].

        `read_only`: for commands that only read (test, source freshness) beside readers of the
        warehouse: no bookkeeping written by the on-run-end hook, and on DuckDB the file opened
        read-only (target `dev_read_only`); BigQuery's tests and freshness queries only read."""
        from dbt.cli.main import dbtRunner

        env = window_env(start, end, self.warehouse)
        if read_only:
            if target_name() == "dev":
                args = [*args, "--target", READ_ONLY_TARGET]
            env["NBA_RECORD_FRESHNESS"] = "false"

        # a copy per invocation: compiling marks the manifest's nodes (ephemeral CTEs "injected"), and a
        # second invocation on the same object would reference CTEs it no longer defines
        manifest = copy.deepcopy(self.manifest())
        callbacks = (
            [lambda message: message.info.name in FORWARDED_EVENTS and on_event(_event_dict(message))]
            if on_event
            else []
        )
        started = time.monotonic()
        with _INVOCATION_LOCK, overridden_environment(env):
            try:
                outcome = dbtRunner(manifest=manifest, callbacks=callbacks).invoke(
                    [*args, "--quiet", *self._common_args()]
                )
            finally:
                _release_duckdb()
        duration = time.monotonic() - started
        results = getattr(outcome.result, "results", None) or []
        nodes = [_node_result(result) for result in results]
        error = None
        if outcome.exception is not None:
            error = f"{type(outcome.exception).__name__}: {outcome.exception}"
        return DbtBuildResult(outcome.success, duration, nodes, error)

    def build(
        self, selectors: Sequence[str], start: date | None, end: date | None, on_event: DbtEventHandler | None = None
    ) -> DbtBuildResult:
        # unit tests check formulas against fixtures, not the run's data: the test suite runs them
        # (and a plain `dbt build` does), a pipeline build does not repeat them (about 1 s each build).
        # No manifest.json / run_results.json: the results come back in process, and writing the
        # manifest of every build cost about 1 s each (2.4 s on a loaded machine)
        args = ["build", "--exclude-resource-type", "unit_test", "--no-write-json"]
        selected = [part for selector in selectors for part in selector.split()]
        if selected:
            args += ["--select", *selected]
        return self.invoke(args, start, end, on_event)


def progress_line(event: dict[str, Any]) -> str | None:
    """A line worth showing for a dbt event: models done, and every failure or warning."""
    name = event.get("info", {}).get("name")
    data = event.get("data", {})
    if name == "LogModelResult":
        node = data.get("node_info", {})
        status = str(data.get("status", ""))
        relation = node.get("node_relation") or {}
        return (
            f"{data.get('index')} of {data.get('total')} {status.upper()} "
            f"{relation.get('schema')}.{relation.get('alias')} "
            f"in {float(data.get('execution_time', 0.0)):.2f}s"
        )
    if name == "LogTestResult" and str(data.get("status")) in {"fail", "warn", "error"}:
        return f"{str(data.get('status')).upper()} {data.get('name')}: {data.get('num_failures')} failing row(s)"
    return None
